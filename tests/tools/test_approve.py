"""The one approval step: the registry asks the session's gate once per call, between validating
the arguments and running the tool, and every tool shares the gate's memory."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from kodo.config import Config
from kodo.sandbox.approval import CommandAsk, ScriptedApprover
from kodo.sandbox.local import LocalExecutor
from kodo.tools.base import Approval, ToolContext, ToolOutput
from kodo.tools.registry import ToolRegistry
from kodo.tools.shell import BashTool, ShellArgs, ShellTool


@dataclass(kw_only=True)
class CommandArgs:
    argv: list[str]


@dataclass
class CommandTool:
    """Declares a command for approval and records each run, with the decision it was given."""

    name: ClassVar[str] = "command"
    description: ClassVar[str] = "Pretends to run a command."
    Args: ClassVar[type] = CommandArgs
    runs: list[ToolContext] = field(default_factory=list)

    def approval(self, args: CommandArgs, ctx: ToolContext) -> Approval:
        return Approval(CommandAsk(args.argv, ctx.cwd))

    def run(self, args: CommandArgs, ctx: ToolContext) -> ToolOutput:
        self.runs.append(ctx)
        return ToolOutput("ran")


def context(tmp_path: Path, approver: ScriptedApprover | None) -> ToolContext:
    cfg = Config(approval_policy="untrusted", sandbox_mode="danger-full-access")
    return ToolContext(tmp_path, cfg, lambda e: None, LocalExecutor(cfg), approver)


def call(registry: ToolRegistry, ctx: ToolContext, name: str, **args: object) -> ToolOutput:
    return registry.dispatch(name, json.dumps(args), ctx)


def test_a_refused_call_never_runs_and_is_asked_about_once(tmp_path: Path) -> None:
    tool = CommandTool()
    registry = ToolRegistry([tool])
    approver = ScriptedApprover([("no", "not today")])
    out = call(registry, context(tmp_path, approver), "command", argv=["touch", "x"])
    assert not out.ok and tool.runs == []
    assert out.output == "error: the command was refused by the person: not today"
    (request,) = approver.requests
    assert request.argv == ["touch", "x"] and not request.escalate


def test_an_approved_call_runs_once_with_its_decision(tmp_path: Path) -> None:
    tool = CommandTool()
    approver = ScriptedApprover(["yes"])
    ctx = context(tmp_path, approver)
    assert call(ToolRegistry([tool]), ctx, "command", argv=["touch", "x"]).ok
    (ran,) = tool.runs
    assert len(approver.requests) == 1
    assert ran.approved is not None and ran.approved.run and not ran.approved.outside
    assert ctx.approved is None  # the session's context keeps no call's decision


def test_invalid_arguments_are_never_asked_about(tmp_path: Path) -> None:
    tool = CommandTool()
    approver = ScriptedApprover(["yes"])
    out = call(ToolRegistry([tool]), context(tmp_path, approver), "command", argv="touch x")
    assert not out.ok and "invalid arguments" in out.output
    assert approver.requests == [] and tool.runs == []


def test_always_for_a_command_holds_for_every_tool_sharing_the_gate(tmp_path: Path) -> None:
    tool = CommandTool()
    registry = ToolRegistry([ShellTool(), BashTool(), tool])
    approver = ScriptedApprover(["always"])
    ctx = context(tmp_path, approver)
    assert call(registry, ctx, "shell", command=["touch", "ok"]).ok
    assert call(registry, ctx, "bash", command="touch ok").ok
    assert call(registry, ctx, "command", argv=["touch", "ok"]).ok
    assert len(approver.requests) == 1 and len(tool.runs) == 1
    other = call(registry, ctx, "bash", command="touch other")  # other words: asked again
    assert not other.ok and "no scripted answer left" in other.output
    assert len(approver.requests) == 2 and not (tmp_path / "other").exists()


def test_a_refused_shell_command_is_its_bare_words_and_no_card(tmp_path: Path) -> None:
    """The call's title names the command; a card is for a command that ran."""
    approver = ScriptedApprover([("no", "not now")])
    ctx = context(tmp_path, approver)
    out = call(ToolRegistry([ShellTool()]), ctx, "shell", command="touch x")
    assert out.output == "the command was refused by the person: not now" and not out.ok
    assert out.detail is None


def test_the_shell_runs_nothing_without_a_decision(tmp_path: Path) -> None:
    """As when its workdir appeared after the approval step passed the call over."""
    out = ShellTool().run(ShellArgs(command=["touch", "x"]), context(tmp_path, None))
    assert not out.ok and "not approved" in out.output and not (tmp_path / "x").exists()
