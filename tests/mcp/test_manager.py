"""The client side against real servers: the demo server over stdio and streamable HTTP, and
servers that fail in each way a third-party server can."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from kodo.config import McpServer
from kodo.mcp.manager import McpCallError, McpManager
from tests.mcp.conftest import DEMO, PY
from tests.processes import processes_matching


def test_tools_are_listed_with_the_servers_own_schema(demo_manager: McpManager) -> None:
    tools = {t.name: t for t in demo_manager.tools}
    assert {"add", "getenv", "record", "explode", "nap", "picture"} <= set(tools)
    add = tools["add"]
    assert add.server == "demo"
    assert add.description == "Add two integers."
    assert add.input_schema["properties"]["a"]["type"] == "integer"
    assert sorted(add.input_schema["required"]) == ["a", "b"]


def test_a_call_returns_the_servers_text(demo_manager: McpManager) -> None:
    result = demo_manager.call("demo", "add", {"a": 2, "b": 3})
    assert (result.text, result.is_error) == ("5", False)


def test_a_failing_tool_gives_an_error_result_with_its_message(demo_manager: McpManager) -> None:
    result = demo_manager.call("demo", "explode", {})
    assert result.is_error
    assert "boom from the server" in result.text


def test_bad_arguments_and_unknown_tools_are_reported_by_the_server(
    demo_manager: McpManager,
) -> None:
    bad = demo_manager.call("demo", "add", {"a": "two"})
    assert bad.is_error and "a" in bad.text and "b" in bad.text
    unknown = demo_manager.call("demo", "no_such_tool", {})
    assert unknown.is_error and "no_such_tool" in unknown.text


def test_non_text_content_is_named_by_type(demo_manager: McpManager) -> None:
    result = demo_manager.call("demo", "picture", {})
    assert result.text == "a red pixel\n[image content: image/png]"


def test_a_call_that_outlives_its_timeout_is_an_error(demo_manager: McpManager) -> None:
    started = time.monotonic()
    with pytest.raises(McpCallError, match="timed out"):
        demo_manager.call("demo", "nap", {"seconds": 1.5}, timeout_s=0.3)
    assert time.monotonic() - started < 1.5


def test_calls_to_a_server_that_is_not_running_are_errors(demo_manager: McpManager) -> None:
    with pytest.raises(McpCallError, match="'elsewhere' is not running"):
        demo_manager.call("elsewhere", "add", {})


def test_a_stdio_server_gets_its_configured_env_but_not_kodos_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    manager = McpManager(
        {"demo": McpServer(command=PY, args=[DEMO], env={"GIVEN": "yes"})}, cwd=tmp_path
    )
    try:
        assert manager.start() == []
        env = {
            name: manager.call("demo", "getenv", {"name": name}).text
            for name in ("GIVEN", "OPENAI_API_KEY", "PATH")
        }
    finally:
        manager.close()
    assert env == {"GIVEN": "yes", "OPENAI_API_KEY": "<unset>", "PATH": os.environ["PATH"]}


def test_servers_that_cannot_start_are_reported_and_the_rest_work(
    tmp_path: Path, marker: str
) -> None:
    crash = "import sys; print('missing token', file=sys.stderr); sys.exit(3)"
    hang = "import sys, time; print('warming up', file=sys.stderr, flush=True); time.sleep(60)"
    manager = McpManager(
        {
            "good": McpServer(command=PY, args=[DEMO, marker]),
            "missing": McpServer(command=str(tmp_path / "no-such-server")),
            "crash": McpServer(command=PY, args=["-c", crash]),
            "hang": McpServer(command=PY, args=["-c", hang, marker], startup_timeout_sec=3),
            "both": McpServer(command=PY, url="http://127.0.0.1:1/mcp"),
        },
        cwd=tmp_path,
    )
    try:
        problems = manager.start()
        assert len(problems) == 4
        by_server = {p.split("'")[1]: p for p in problems}
        assert "no-such-server" in by_server["missing"]
        assert "missing token" in by_server["crash"]
        assert "no answer to initialize within 3s (stderr: warming up)" in by_server["hang"]
        assert "exactly one of" in by_server["both"]
        assert {t.server for t in manager.tools} == {"good"}
        assert manager.call("good", "add", {"a": 1, "b": 1}).text == "2"
        assert len(processes_matching(marker)) == 1  # the hung server is already gone
        with pytest.raises(McpCallError, match="'hang' is not running"):
            manager.call("hang", "add", {})
    finally:
        manager.close()
    assert processes_matching(marker) == []


def test_a_server_that_dies_mid_session_gives_errors_not_a_hang(
    tmp_path: Path, marker: str
) -> None:
    manager = McpManager({"demo": McpServer(command=PY, args=[DEMO, marker])}, cwd=tmp_path)
    try:
        assert manager.start() == []
        (pid,) = processes_matching(marker)
        os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        with pytest.raises(McpCallError):
            manager.call("demo", "add", {"a": 1, "b": 2}, timeout_s=10)
        assert time.monotonic() - started < 10
    finally:
        manager.close()


def test_a_streamable_http_server_works_like_a_stdio_one(
    tmp_path: Path, http_server_url: str
) -> None:
    manager = McpManager({"remote": McpServer(url=http_server_url)}, cwd=tmp_path)
    try:
        assert manager.start() == []
        assert "add" in {t.name for t in manager.tools}
        assert manager.call("remote", "add", {"a": 20, "b": 22}).text == "42"
        assert manager.call("remote", "explode", {}).is_error
    finally:
        manager.close()


def test_an_unreachable_http_server_is_reported(tmp_path: Path) -> None:
    manager = McpManager({"remote": McpServer(url="http://127.0.0.1:9/mcp")}, cwd=tmp_path)
    try:
        (problem,) = manager.start()
    finally:
        manager.close()
    assert problem.startswith("MCP server 'remote' did not start: ")
    assert "connect" in problem.lower()
