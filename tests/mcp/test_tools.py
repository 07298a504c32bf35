"""MCP tools as the model meets them: through kodo's tool registry, under the approval policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kodo.config import ApprovalPolicy, Config
from kodo.mcp.manager import McpManager
from kodo.mcp.tools import mcp_tools
from kodo.sandbox.approval import ScriptedApprover
from kodo.tools.base import ToolContext
from kodo.tools.registry import ToolRegistry


def context(
    tmp_path: Path, policy: ApprovalPolicy, approver: ScriptedApprover | None = None
) -> ToolContext:
    # MCP tools never run commands, so no executor is needed here.
    return ToolContext(
        cwd=tmp_path,
        config=Config(approval_policy=policy),
        emit=lambda event: None,
        executor=None,  # type: ignore[arg-type]
        approver=approver,
    )


def recorded(record_file: Path) -> list[str]:
    return record_file.read_text().splitlines() if record_file.exists() else []


@pytest.fixture
def registry(demo_manager: McpManager) -> ToolRegistry:
    return ToolRegistry(mcp_tools(demo_manager))


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
    assert out.metadata == {"mcp_server": "demo", "mcp_tool": "record"}
    assert "never-1" in recorded(record_file)


def test_tool_errors_and_bad_arguments_are_error_results(
    registry: ToolRegistry, tmp_path: Path
) -> None:
    ctx = context(tmp_path, "on-failure")
    failed = registry.dispatch("demo__explode", "{}", ctx)
    assert not failed.ok and "boom from the server" in failed.output
    wrong_type = registry.dispatch("demo__add", '{"a": "x", "b": 1}', ctx)
    assert not wrong_type.ok and "integer" in wrong_type.output
    not_object = registry.dispatch("demo__add", "[1, 2]", ctx)
    assert not not_object.ok and "must be a JSON object" in not_object.output


def test_without_an_approver_an_asking_policy_refuses_the_call(
    registry: ToolRegistry, tmp_path: Path, record_file: Path
) -> None:
    out = registry.dispatch("demo__record", '{"text": "nobody"}', context(tmp_path, "untrusted"))
    assert not out.ok
    assert "needs approval" in out.output and "demo__record" in out.output
    assert "nobody" not in recorded(record_file)


def test_a_declined_call_never_reaches_the_server(
    registry: ToolRegistry, tmp_path: Path, record_file: Path
) -> None:
    approver = ScriptedApprover([("no", "not now")])
    ctx = context(tmp_path, "on-request", approver)
    out = registry.dispatch("demo__record", '{"text": "declined"}', ctx)
    assert not out.ok and "declined" in out.output and "not now" in out.output
    assert "declined" not in recorded(record_file)
    (request,) = approver.requests
    assert request.argv == ["demo__record", json.dumps({"text": "declined"})]
    assert (request.cwd, request.reason, request.escalate) == (tmp_path, "MCP tool call", False)


def test_yes_approves_one_call_and_always_approves_the_tool_for_the_session(
    demo_manager: McpManager, tmp_path: Path, record_file: Path
) -> None:
    registry = ToolRegistry(mcp_tools(demo_manager))
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
    names = [tool.name for tool in mcp_tools(demo_manager, {"demo__add"})]
    assert "demo__add" not in names
    assert any(name.startswith("demo__add_") for name in names)
