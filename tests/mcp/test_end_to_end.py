"""The real programs: ``kodo exec`` using a configured MCP server, and ``kodo mcp-server`` driven
by the official MCP client, both against the scripted model server."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.e2e.harness import exec_args, run_kodo
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply
from tests.mcp.conftest import DEMO, PY
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
    assert "MCP server 'broken' did not start" in run.stderr
    assert "no-such-server" in run.stderr
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
