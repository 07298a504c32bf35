"""The real programs: ``kodo exec`` using a configured MCP server, and ``kodo mcp-server`` driven
by the official MCP client, both against the scripted model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from kodo.mcp.manager import McpManager
from kodo.mcp.spec import McpServer, config_warnings
from kodo.records import read
from tests.e2e.harness import exec_args, run_kodo
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Fault, Reply
from tests.mcp.conftest import DEMO, PY, npm_server
from tests.mcp.kodo_client import call_kodo_task
from tests.processes import processes_matching


def patch_add(path: str, body: str) -> str:
    lines = "".join(f"+{line}\n" for line in body.splitlines())
    return f"*** Begin Patch\n*** Add File: {path}\n{lines}*** End Patch\n"


def test_kodo_exec_offers_and_calls_a_configured_servers_tools(
    tmp_path: Path, kodo_home: Path, marker: str
) -> None:
    config = kodo_home / "config.toml"  # the person's config: a project's needs trust
    config.write_text(
        f"[mcp_servers.demo]\ncommand = {json.dumps(PY)}\nargs = {json.dumps([DEMO, marker])}\n\n"
        f'[mcp_servers.broken]\ncommand = "{tmp_path / "no-such-server"}"\n'
    )
    script = [Reply(tool_calls=[Call("demo__add", {"a": 2, "b": 3})]), Reply(text="2 + 3 = 5")]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "add 2 and 3"), cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    notices = " ".join(n["text"] for n in run.of_type("notice"))
    assert "MCP server 'broken' did not start" in notices
    assert "no-such-server" in notices
    offered = {t["function"]["name"]: t["function"] for t in srv.requests[0]["tools"]}
    assert sorted(offered["demo__add"]["parameters"]["required"]) == ["a", "b"]
    assert not any(name.startswith("broken__") for name in offered)
    (result,) = [r for r in run.tool_results if r["name"] == "demo__add"]
    assert (result["output"], result["ok"]) == ("5", True)
    assert run.of_type("session_completed")[0]["final_message"] == "2 + 3 = 5"
    assert processes_matching(marker) == []


def test_kodo_mcp_server_runs_a_task_and_returns_the_message_and_diff(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "README.md").write_text("project\n")
    patch = patch_add("hello.txt", "hello from kodo")
    script = [Reply(tool_calls=[Call("apply_patch", {"patch": patch})]), Reply(text="Added it.")]
    with ScriptedOpenAIServer(script) as srv:
        arguments = {
            "prompt": "add hello.txt",
            "cwd": str(tmp_path),
            "provider": "openai-chat",
            "base_url": srv.base_url,
            "model": "scripted",
        }
        names, text, is_error = call_kodo_task(arguments)

    assert names == ["kodo_task"]
    assert not is_error, text
    assert text.startswith("status: completed\n")
    assert "final message:\nAdded it.\n" in text
    assert "+++ b/hello.txt" in text and "+hello from kodo" in text
    assert "README.md" not in text  # untouched, though untracked before the task
    assert srv.requests[0]["messages"][-1]["content"] == "add hello.txt"


def test_kodo_exec_runs_real_servers_from_a_codex_style_config(
    tmp_path: Path, kodo_home: Path
) -> None:
    allowed = tmp_path / "docs"
    allowed.mkdir()
    (allowed / "guide.md").write_text("use tabs\n")
    (kodo_home / "config.toml").write_text(
        "[mcp_servers.time]\n"
        f"command = {json.dumps(PY)}\n"
        'args = ["-m", "mcp_server_time"]\n'
        "startup_timeout_sec = 60\n"
        "tool_timeout_sec = 30\n"
        'oauth = { client_id = "x" }\n\n'
        "[mcp_servers.fs]\n"
        'command = "node"\n'
        f"args = {json.dumps([npm_server('server-filesystem'), str(allowed)])}\n"
        'enabled_tools = ["read_text_file", "write_file"]\n'
        'disabled_tools = ["write_file"]\n\n'
        "[mcp_servers.off]\n"
        'command = "no-such-server"\n'
        "enabled = false\n"
    )
    read = {"path": str(allowed / "guide.md")}
    script = [
        Reply(tool_calls=[Call("time__get_current_time", {"timezone": "UTC"})]),
        Reply(tool_calls=[Call("fs__read_text_file", read)]),
        Reply(text="It is now, and the guide says tabs."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "what time is it"), cwd=tmp_path)

    assert run.returncode == 0, run.stderr
    notices = " ".join(n["text"] for n in run.of_type("notice"))
    assert "MCP server 'time': ignoring unknown key 'oauth'" in notices
    assert "off" not in notices
    offered = {t["function"]["name"] for t in srv.requests[0]["tools"]}
    assert {"time__get_current_time", "fs__read_text_file"} <= offered
    assert not any(name.startswith("fs__") for name in offered - {"fs__read_text_file"})
    results = {r["name"]: r for r in run.tool_results}
    assert json.loads(results["time__get_current_time"]["output"])["timezone"] == "UTC"
    assert results["fs__read_text_file"]["output"] == "use tabs\n"


def test_kodo_mcp_server_reports_a_task_that_ended_in_error_as_a_tool_error(
    tmp_path: Path,
) -> None:
    (tmp_path / "README.md").write_text("project\n")
    script = [Fault(400, message="the model refused the request")]
    with ScriptedOpenAIServer(script) as srv:
        arguments = {
            "prompt": "add hello.txt",
            "cwd": str(tmp_path),
            "provider": "openai-chat",
            "base_url": srv.base_url,
            "model": "scripted",
        }
        _, text, is_error = call_kodo_task(arguments)

    assert is_error
    assert text.startswith("Error executing tool kodo_task: status: error\nerror: ")
    assert "the model refused the request" in text
    assert "diff:\n(no changes)" in text


def docs_block(heading: str, lang: str) -> str:
    """The first ``lang`` code block after ``heading`` in docs/mcp.md."""
    text = (Path(__file__).parents[2] / "docs" / "mcp.md").read_text()
    start = text.index(f"```{lang}\n", text.index(heading)) + len(lang) + 4
    return text[start : text.index("```", start)]


def test_the_client_configs_in_the_docs_start_kodo_as_a_tool_that_runs_a_task(
    tmp_path: Path,
) -> None:
    claude = json.loads(docs_block("**Claude Code**", "json"))["mcpServers"]["kodo"]
    assert (claude["command"], claude["args"]) == ("kodo", ["mcp-server"])
    spec = read(McpServer, tomllib.loads(docs_block("**Codex**", "toml"))["mcp_servers"]["kodo"])
    assert config_warnings("kodo", spec) == []
    assert spec.tool_timeout_s >= 600  # a task, not a quick lookup

    person, work = tmp_path / "person", tmp_path / "work"
    person.mkdir()
    work.mkdir()
    environ = {  # kodo on PATH as after an install; HOME keeps the task's KODO_HOME in tmp_path
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(person),
        "OPENAI_API_KEY": "sk-test-passed-by-env-vars",
    }
    patch = patch_add("hello.txt", "hello from a delegated kodo")
    script = [Reply(tool_calls=[Call("apply_patch", {"patch": patch})]), Reply(text="Added it.")]
    with ScriptedOpenAIServer(script) as srv:
        manager = McpManager({"kodo": spec}, cwd=tmp_path, environ=environ)
        try:
            assert manager.start() == []
            arguments = {
                "prompt": "add hello.txt",
                "cwd": str(work),
                "provider": "openai-chat",
                "base_url": srv.base_url,
                "model": "scripted",
            }
            result = manager.call("kodo", "kodo_task", arguments)
        finally:
            manager.close()
    assert not result.is_error, result.text
    assert "+hello from a delegated kodo" in result.text
    assert list((person / ".kodo" / "sessions").rglob("*.jsonl"))
    assert srv.requests[0]["messages"][-1]["content"] == "add hello.txt"
