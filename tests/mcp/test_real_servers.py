"""kodo's MCP client against third-party servers installed from the registries (scripts/install.sh):
the reference servers ``server-everything`` and ``server-filesystem`` from npm, and
``mcp-server-time`` and ``mcp-server-git`` from PyPI, all over stdio."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodo.config import McpServer
from kodo.mcp.manager import McpManager
from kodo.sandbox.approval import ScriptedApprover
from tests.mcp.conftest import PY, context, npm_server, registry_for


def started(
    servers: dict[str, McpServer], cwd: Path, environ: dict[str, str] | None = None
) -> McpManager:
    """Started, with no problem but tools it leaves out."""
    manager = McpManager(servers, cwd=cwd, environ=environ)
    problems = [p for p in manager.start() if "is not offered" not in p]
    assert problems == []
    return manager


@pytest.fixture
def everything(tmp_path: Path) -> Iterator[McpManager]:
    spec = McpServer(
        command="node",
        args=[npm_server("server-everything"), "stdio"],
        env={"FROM_CONFIG": "${KODO_TEST_SECRET}"},
        env_vars=["KODO_TEST_PASSED"],
    )
    environ = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "KODO_TEST_SECRET": "expanded-from-env",
        "KODO_TEST_PASSED": "passed-through",
        "OPENAI_API_KEY": "sk-must-not-leak",
    }
    manager = started({"everything": spec}, tmp_path, environ=environ)
    yield manager
    manager.close()


def test_the_npm_everything_server_is_called_and_its_task_only_tool_left_out(
    everything: McpManager,
) -> None:
    deadline = time.monotonic() + 10  # it adds that tool after start-up (tools/list_changed)
    while ("everything", "simulate-research-query") not in everything.left_out:
        assert time.monotonic() < deadline, everything.left_out
        time.sleep(0.1)
    names = {t.name for t in everything.tools}
    assert {"echo", "get-sum", "get-env"} <= names
    assert "simulate-research-query" not in names
    assert (
        everything.call("everything", "get-sum", {"a": 2, "b": 3}).text
        == "The sum of 2 and 3 is 5."
    )
    echo = everything.call("everything", "echo", {"message": "hi there"})
    assert "hi there" in echo.text and not echo.is_error


def test_a_servers_environment_has_expanded_values_and_passed_variables_only(
    everything: McpManager,
) -> None:
    env = json.loads(everything.call("everything", "get-env", {}).text)
    assert env["FROM_CONFIG"] == "expanded-from-env"
    assert env["KODO_TEST_PASSED"] == "passed-through"
    assert "OPENAI_API_KEY" not in env and "KODO_TEST_SECRET" not in env


def test_an_unset_variable_in_env_stops_only_that_server_with_a_clear_reason(
    tmp_path: Path,
) -> None:
    spec = McpServer(
        command="node",
        args=[npm_server("server-everything"), "stdio"],
        env={"API_TOKEN": "$KODO_TEST_UNSET"},
    )
    manager = McpManager({"everything": spec}, cwd=tmp_path, environ={"PATH": "/usr/bin:/bin"})
    try:
        (problem,) = manager.start()
    finally:
        manager.close()
    assert problem == (
        "MCP server 'everything' did not start: env.API_TOKEN uses $KODO_TEST_UNSET, which is "
        "not set in kodo's environment (set it, or write $$ for a literal $)"
    )


@pytest.fixture
def filesystem(tmp_path: Path) -> Iterator[tuple[McpManager, Path]]:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "notes.txt").write_text("kept\n")
    spec = McpServer(command="node", args=[npm_server("server-filesystem"), str(allowed)])
    manager = started({"fs": spec}, tmp_path)
    yield manager, allowed
    manager.close()


def test_the_servers_annotations_decide_what_is_asked(
    filesystem: tuple[McpManager, Path], tmp_path: Path
) -> None:
    manager, allowed = filesystem
    registry = registry_for(manager)
    read = json.dumps({"path": str(allowed / "notes.txt")})
    write = json.dumps({"path": str(allowed / "new.txt"), "content": "written"})

    # untrusted: read-only, closed-world tools run; one that overwrites files is asked about.
    approver = ScriptedApprover([("no", "not that file")])
    ctx = context(tmp_path, "untrusted", approver)
    assert registry.dispatch("fs__read_text_file", read, ctx).output == "kept\n"
    refused = registry.dispatch("fs__write_file", write, ctx)
    assert not refused.ok and "not that file" in refused.output
    assert not (allowed / "new.txt").exists()
    assert [r.mcp.tool for r in approver.requests if r.mcp] == ["write_file"]
    assert approver.requests[0].mcp.hints == "may delete or overwrite things, local only"

    # on-failure: only what the server marks destructive is asked; "always" covers that tool.
    approver = ScriptedApprover(["always"])
    ctx = context(tmp_path, "on-failure", approver)
    assert registry.dispatch("fs__write_file", write, ctx).ok
    again = json.dumps({"path": str(allowed / "new.txt"), "content": "again"})
    assert registry.dispatch("fs__write_file", again, ctx).ok
    made = json.dumps({"path": str(allowed / "made")})
    assert registry.dispatch("fs__create_directory", made, ctx).ok
    assert len(approver.requests) == 1
    assert (allowed / "new.txt").read_text() == "again" and (allowed / "made").is_dir()


def test_the_pypi_time_server_answers_and_bad_arguments_never_reach_it(tmp_path: Path) -> None:
    manager = started({"time": McpServer(command=PY, args=["-m", "mcp_server_time"])}, tmp_path)
    try:
        registry = registry_for(manager)
        approver = ScriptedApprover([])
        ctx = context(tmp_path, "untrusted", approver)  # read-only and closed-world: not asked
        out = registry.dispatch("time__get_current_time", '{"timezone": "UTC"}', ctx)
        assert out.ok and json.loads(out.output)["timezone"] == "UTC"
        bad = registry.dispatch("time__get_current_time", "{}", ctx)
        assert not bad.ok and "'timezone' is a required property" in bad.output
        assert approver.requests == []
    finally:
        manager.close()


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "a.txt").write_text("a\n")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "first commit"], check=True)
    return repo


def test_the_pypi_git_servers_nullable_arguments_are_plain_for_chat_servers(
    git_repo: Path, tmp_path: Path
) -> None:
    spec = McpServer(command=PY, args=["-m", "mcp_server_git", "--repository", str(git_repo)])
    manager = started({"git": spec}, tmp_path)
    try:
        original = next(t.input_schema for t in manager.tools if t.name == "git_log")
        assert {"type": "null"} in original["properties"]["start_timestamp"]["anyOf"]
        for provider, plain in (("openai-chat", True), ("ollama", True), ("openai", False)):
            shown = next(
                s.parameters
                for s in registry_for(manager, provider).specs()
                if s.name == "git__git_log"
            )
            stamp = shown["properties"]["start_timestamp"]
            assert ("anyOf" not in stamp and stamp["type"] == "string") is plain, provider
        assert original == next(t.input_schema for t in manager.tools if t.name == "git_log")

        registry = registry_for(manager, "openai-chat")
        ctx = context(tmp_path, "on-failure", ScriptedApprover([]))
        # null is what the server's own schema allows, though the model was shown a string.
        log = {"repo_path": str(git_repo), "start_timestamp": None}
        out = registry.dispatch("git__git_log", json.dumps(log), ctx)
        assert out.ok and "first commit" in out.output
        reset = registry.dispatch("git__git_reset", json.dumps({"repo_path": str(git_repo)}), ctx)
        assert not reset.ok and "refused" in reset.output  # destructive: asked, answered no
    finally:
        manager.close()
