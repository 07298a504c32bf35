from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kodo.config import Config
from kodo.records import read
from kodo.sandbox.bwrap import BwrapExecutor


@pytest.fixture
def base() -> Iterator[Path]:
    """A scratch dir outside /tmp: the sandbox has a private /tmp, so host paths the tests probe
    must live elsewhere to be visible (read-only) inside."""
    path = Path(tempfile.mkdtemp(prefix="kodo-sbtest-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def workspace(base: Path) -> Path:
    ws = base / "ws"
    ws.mkdir()
    return ws


@pytest.fixture
def sandbox(workspace: Path) -> Iterator[Callable[..., BwrapExecutor]]:
    made: list[BwrapExecutor] = []

    def make(**config: object) -> BwrapExecutor:
        ex = BwrapExecutor(read(Config, config), workspace)
        made.append(ex)
        return ex

    yield make
    for ex in made:
        ex.close()


def procs_with(marker: str) -> list[int]:
    """Pids of host processes whose command line contains ``marker``."""
    found = []
    needle = marker.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            found.append(int(entry))
    return found


def wait_present(marker: str, count: int, timeout_s: float = 10.0) -> list[int]:
    """Processes started in the background take a moment to exist on a loaded machine."""
    deadline = time.monotonic() + timeout_s
    while len(found := procs_with(marker)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def wait_gone(marker: str, timeout_s: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while (left := procs_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
