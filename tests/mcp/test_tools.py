"""MCP tools as the model meets them: through kodo's tool registry, under the approval policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kodo.mcp.manager import McpManager
from kodo.mcp.tools import McpToolSet
from kodo.sandbox.approval import ScriptedApprover
from kodo.tools.registry import ToolRegistry
from kodo.ui.approvals import choices, describe_request, heading
from tests.mcp.conftest import context, registry_for


def recorded(record_file: Path) -> list[str]:
    return record_file.read_text().splitlines() if record_file.exists() else []


@pytest.fixture
def registry(demo_manager: McpManager) -> ToolRegistry:
    return registry_for(demo_manager)


def test_the_model_sees_prefixed_names_and_the_servers_schema(
    registry: ToolRegistry, demo_manager: McpManager
) -> None:
    specs = {spec.name: spec for spec in registry.specs()}
    assert {"demo__add", "demo__record", "demo__explode"} <= set(specs)
    server_schema = next(t.input_schema for t in demo_manager.tools if t.name == "add")
    assert specs["demo__add"].parameters == server_schema
    assert specs["demo__add"].description == "Add two integers."


def test_calls_go_through_without_asking_under_never(
    registry: ToolRegistry, tmp_path: Path, record_file: Path
) -> None:
    out = registry.dispatch("demo__record", '{"text": "never-1"}', context(tmp_path, "never"))
    assert out.ok and out.output == "recorded never-1"
    call = registry.prepare("demo__record", '{"text": "never-1"}')
    assert call.title == 'demo.record {"text": "never-1"}' and not call.streams
    assert "never-1" in recorded(record_file)


def test_bad_arguments_are_refused_against_the_servers_schema_before_anyone_is_asked(
    registry: ToolRegistry, tmp_path: Path, record_file: Path
) -> None:
    approver = ScriptedApprover(["yes"])
    ctx = context(tmp_path, "untrusted", approver)
    wrong_type = registry.dispatch("demo__add", '{"a": "x", "b": 1}', ctx)
    assert not wrong_type.ok and "a: 'x' is not of type 'integer'" in wrong_type.output
    missing = registry.dispatch("demo__record", "{}", ctx)
    assert not missing.ok and "'text' is a required property" in missing.output
    not_object = registry.dispatch("demo__add", "[1, 2]", ctx)
    assert not not_object.ok and "must be a JSON object" in not_object.output
    assert approver.requests == []


def test_tool_errors_are_error_results(registry: ToolRegistry, tmp_path: Path) -> None:
    failed = registry.dispatch("demo__explode", "{}", context(tmp_path, "on-failure"))
    assert not failed.ok and "boom from the server" in failed.output


def test_without_an_approver_an_asking_policy_refuses_the_call(
    registry: ToolRegistry, tmp_path: Path, record_file: Path
) -> None:
    out = registry.dispatch("demo__record", '{"text": "nobody"}', context(tmp_path, "untrusted"))
    assert not out.ok
    assert "needs approval" in out.output and "demo__record" in out.output
    assert "outside kodo's sandbox" in out.output
    assert "nobody" not in recorded(record_file)


def test_the_question_says_truthfully_where_the_call_runs_and_what_always_means(
    registry: ToolRegistry, tmp_path: Path, record_file: Path
) -> None:
    approver = ScriptedApprover([("no", "not now")])
    ctx = context(tmp_path, "on-request", approver)
    out = registry.dispatch("demo__record", '{"text": "declined"}', ctx)
    assert not out.ok and "refused" in out.output and "not now" in out.output
    assert "declined" not in recorded(record_file)
    (request,) = approver.requests
    assert request.mcp is not None
    assert (request.mcp.server, request.mcp.tool) == ("demo", "record")
    assert json.loads(request.mcp.arguments) == {"text": "declined"}
    assert request.escalate  # it does not run in the sandbox
    assert heading(request) == "kodo wants to call a tool of an MCP server"
    text = "\n".join(describe_request(request, "workspace-write"))
    assert "tool record of MCP server demo" in text
    assert "OUTSIDE kodo's sandbox" in text
    assert '│   "text": "declined"' in text
    assert "inside the workspace-write sandbox" not in text
    assert "this tool of this server" in choices(request)


def test_yes_approves_one_call_and_always_approves_that_tool_of_that_server(
    demo_manager: McpManager, tmp_path: Path, record_file: Path
) -> None:
    registry = registry_for(demo_manager)
    approver = ScriptedApprover(["yes", "always"])
    ctx = context(tmp_path, "untrusted", approver)
    for text in ("yes-1", "always-1", "always-2", "always-3"):
        assert registry.dispatch("demo__record", json.dumps({"text": text}), ctx).ok
    assert len(approver.requests) == 2
    assert recorded(record_file)[-4:] == ["yes-1", "always-1", "always-2", "always-3"]
    # "always" covers that tool only: another tool is still asked about.
    approver.answers.append("no")
    assert not registry.dispatch("demo__add", '{"a": 1, "b": 2}', ctx).ok
    assert len(approver.requests) == 3


def test_mcp_tool_names_do_not_replace_tools_already_there(demo_manager: McpManager) -> None:
    names = [tool.name for tool in McpToolSet(demo_manager, {"demo__add"}, str).build()]
    assert "demo__add" not in names
    assert any(name.startswith("demo__add_") for name in names)
