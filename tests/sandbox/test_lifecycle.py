"""kodo's own death (SIGTERM, SIGKILL) and a missing bwrap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from kodo.config import Config
from kodo.sandbox.base import SandboxUnavailable
from kodo.sandbox.factory import create_executor
from kodo.sandbox.local import LocalExecutor
from tests.sandbox.conftest import procs_with, wait_gone

CHILD = """
import sys, time
from pathlib import Path
from kodo.config import Config
from kodo.sandbox.factory import create_executor
ex = create_executor(Config(sandbox_mode=sys.argv[2]), Path(sys.argv[3]))
ex.start(["bash", "-c", "sleep %s & sleep %s.5"] , cwd=Path(sys.argv[3]))
print("ready", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize(
    ("mode", "sig"),
    [
        ("workspace-write", signal.SIGTERM),
        ("workspace-write", signal.SIGKILL),
        ("danger-full-access", signal.SIGTERM),
    ],
)
def test_kodo_dying_leaves_no_orphans(workspace: Path, mode: str, sig: int) -> None:
    marker = str(uuid.uuid4().int % 10**6 + 6_000_000)
    code = CHILD % (marker, marker)
    proc = subprocess.Popen(
        [sys.executable, "-c", code, marker, mode, str(workspace)], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    assert wait_gone(marker, 0.3) != []
    os.kill(proc.pid, sig)
    proc.wait(10)
    assert wait_gone(marker) == []


def test_missing_bwrap_is_a_clear_error(workspace: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(workspace))
    with pytest.raises(SandboxUnavailable) as info:
        create_executor(Config(), workspace)
    message = str(info.value)
    assert "apt-get install bubblewrap" in message
    assert "--sandbox danger-full-access" in message


def test_danger_full_access_needs_no_bwrap(workspace: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    ex = create_executor(Config(sandbox_mode="danger-full-access"), workspace)
    try:
        assert isinstance(ex, LocalExecutor)
        result = ex.run(
            ["bash", "-c", "echo hi; exit 3"], cwd=workspace, timeout_s=5, max_output_bytes=100
        )
        assert (result.exit_code, result.output) == (3, "hi\n")
    finally:
        ex.close()


def test_local_timeout_kills_the_group(workspace: Path) -> None:
    marker = str(uuid.uuid4().int % 10**6 + 7_000_000)
    ex = LocalExecutor(Config(sandbox_mode="danger-full-access"))
    try:
        script = f"sleep {marker} & sleep {marker}.5"
        result = ex.run(["bash", "-c", script], cwd=workspace, timeout_s=0.3, max_output_bytes=100)
        assert result.timed_out
        assert wait_gone(marker) == []
    finally:
        ex.close()
    assert procs_with(marker) == []
