"""Servers that change while a session runs, and what they need to start: a tool list that
grows (``notifications/tools/list_changed``), a streamable-HTTP server that restarts, one that
wants a token, one slow to start. The servers are the demo server, built on the official SDK."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kodo.config import McpServer
from kodo.mcp.manager import McpCallError, McpManager
from tests.mcp.conftest import DEMO, PY, HttpDemo, context, registry_for
from tests.processes import processes_matching

SLOW_START = (
    "import runpy, sys, time; time.sleep(2); sys.argv = [sys.argv[1]]; "
    "runpy.run_path(sys.argv[0], run_name='__main__')"
)


def wait_for(check: Callable[[], object], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_a_tool_the_server_adds_is_offered_and_callable(
    transport: str, tmp_path: Path, http_demo: HttpDemo
) -> None:
    if transport == "stdio":
        spec = McpServer(command=PY, args=[DEMO])
    else:
        spec = McpServer(url=http_demo.start())
    manager = McpManager({"demo": spec}, cwd=tmp_path)
    try:
        assert manager.start() == []
        registry = registry_for(manager)
        ctx = context(tmp_path, "never")
        assert "demo__wave" not in registry.names
        assert registry.dispatch("demo__grow", '{"name": "wave"}', ctx).output == "added wave"
        wait_for(lambda: "demo__wave" in registry.names)
        assert registry.dispatch("demo__wave", "{}", ctx).output == "hello from wave"
        assert "demo__wave" in {spec.name for spec in registry.specs()}
    finally:
        manager.close()


def test_a_restarted_http_server_is_connected_to_again(tmp_path: Path, http_demo: HttpDemo) -> None:
    manager = McpManager({"remote": McpServer(url=http_demo.start())}, cwd=tmp_path)
    try:
        assert manager.start() == []
        assert manager.call("remote", "add", {"a": 1, "b": 2}).text == "3"
        http_demo.stop()  # and straight back: the new process knows nothing of the old session
        http_demo.start()
        assert manager.call("remote", "add", {"a": 2, "b": 2}).text == "4"
        http_demo.stop()  # down long enough for the connection to drop
        time.sleep(3)
        with pytest.raises(McpCallError):
            manager.call("remote", "add", {"a": 0, "b": 0})
        with pytest.raises(McpCallError, match="'remote' cannot be reached again"):
            manager.call("remote", "add", {"a": 0, "b": 0})
        http_demo.start()
        assert manager.call("remote", "add", {"a": 20, "b": 22}).text == "42"
    finally:
        manager.close()


def test_a_dead_stdio_server_is_not_restarted_behind_the_persons_back(
    tmp_path: Path, marker: str
) -> None:
    manager = McpManager({"demo": McpServer(command=PY, args=[DEMO, marker])}, cwd=tmp_path)
    try:
        assert manager.start() == []
        (pid,) = processes_matching(marker)
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(McpCallError):
            manager.call("demo", "add", {"a": 1, "b": 2}, timeout_s=10)
        wait_for(lambda: not manager.tools or processes_matching(marker) == [])
        with pytest.raises(McpCallError, match="not running"):
            manager.call("demo", "add", {"a": 1, "b": 2}, timeout_s=10)
        assert processes_matching(marker) == []
    finally:
        manager.close()


def test_headers_and_a_bearer_token_come_from_the_environment(tmp_path: Path) -> None:
    demo = HttpDemo(env={"DEMO_REQUIRE_HEADER": "Authorization:Bearer s3cret"})
    url = demo.start()
    try:
        without = McpManager({"remote": McpServer(url=url)}, cwd=tmp_path)
        try:
            (problem,) = without.start()
        finally:
            without.close()
        assert problem.startswith("MCP server 'remote' did not start")
        spec = McpServer(url=url, bearer_token_env_var="DEMO_TOKEN")
        manager = McpManager({"remote": spec}, cwd=tmp_path, environ={"DEMO_TOKEN": "s3cret"})
        try:
            assert manager.start() == []
            assert manager.call("remote", "add", {"a": 1, "b": 1}).text == "2"
        finally:
            manager.close()
    finally:
        demo.stop()


def test_the_start_up_limit_is_each_servers_own(tmp_path: Path) -> None:
    slow = [PY, "-c", SLOW_START, DEMO]
    manager = McpManager(
        {
            "patient": McpServer(command=slow[0], args=slow[1:], startup_timeout_sec=15),
            "hasty": McpServer(command=slow[0], args=slow[1:], startup_timeout_sec=0.5),
        },
        cwd=tmp_path,
    )
    try:
        (problem,) = manager.start()
        assert problem == "MCP server 'hasty' did not start: no answer to initialize within 0.5s"
        assert manager.call("patient", "add", {"a": 1, "b": 1}).text == "2"
    finally:
        manager.close()
