from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from kodo.config import ApprovalPolicy, Config, McpServer
from kodo.mcp.manager import McpManager
from kodo.mcp.tools import McpToolSet
from kodo.sandbox.approval import ScriptedApprover
from kodo.tools.base import ToolContext
from kodo.tools.registry import ToolRegistry

DEMO = str(Path(__file__).with_name("demo_server.py"))
PY = sys.executable
SERVERS = Path(__file__).with_name("servers")  # npm servers: scripts/install.sh runs npm ci


def context(
    cwd: Path, policy: ApprovalPolicy, approver: ScriptedApprover | None = None
) -> ToolContext:
    """A tool context for MCP tools, which never run commands: no executor."""
    return ToolContext(
        cwd=cwd,
        config=Config(approval_policy=policy),
        emit=lambda event: None,
        executor=None,  # type: ignore[arg-type]
        approver=approver,
    )


def registry_for(manager: McpManager, provider: str = "openai") -> ToolRegistry:
    """The tools a session with only these MCP servers offers its model."""
    registry = ToolRegistry([])
    registry.attach(McpToolSet(manager, set(), lambda: provider))
    return registry


def npm_server(package: str) -> str:
    """The entry script of ``@modelcontextprotocol/<package>``, installed from npm."""
    script = SERVERS / "node_modules" / "@modelcontextprotocol" / package / "dist" / "index.js"
    if not script.is_file():
        pytest.fail(f"{package} is not installed: run scripts/install.sh (npm ci in {SERVERS})")
    return str(script)


class HttpDemo:
    """The demo server over streamable HTTP on 127.0.0.1; it can be stopped and started again
    on the same port, as a server that restarts."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = {**os.environ, **(env or {})}
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> str:
        argv = [PY, DEMO, "--http", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=self.env
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), line
        self.port = int(line.split()[1])
        return self.url

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def http_demo() -> Iterator[HttpDemo]:
    demo = HttpDemo()
    try:
        yield demo
    finally:
        demo.stop()


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
    demo = HttpDemo()
    try:
        yield demo.start()
    finally:
        demo.stop()
