from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodo.config import McpServer
from kodo.mcp.manager import McpManager

DEMO = str(Path(__file__).with_name("demo_server.py"))
PY = sys.executable


@pytest.fixture
def marker() -> str:
    return f"kodo-mcp-test-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def record_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the demo server's ``record`` tool writes: proof that a call reached the server."""
    return tmp_path_factory.mktemp("record") / "calls.txt"


@pytest.fixture(scope="module")
def demo_manager(record_file: Path) -> Iterator[McpManager]:
    """One running demo server over stdio, shared by a module's tests to keep them quick."""
    spec = McpServer(command=PY, args=[DEMO], env={"DEMO_RECORD": str(record_file)})
    manager = McpManager({"demo": spec}, cwd=record_file.parent)
    problems = manager.start()
    assert problems == []
    yield manager
    manager.close()


@pytest.fixture(scope="module")
def http_server_url() -> Iterator[str]:
    """The demo server over streamable HTTP on 127.0.0.1, at a port the OS picked."""
    proc = subprocess.Popen(
        [PY, DEMO, "--http"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("PORT "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}/mcp"
    finally:
        proc.terminate()
        proc.wait(10)
