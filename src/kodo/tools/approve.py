"""The one approval step of every tool call, between validating its arguments and running it.

A tool declares what a call needs approved (``approval(args, ctx) -> Approval | None``: a
command, file edits, an MCP call, a cluster job, or nothing). Here the session's single
``ApprovalGate`` decides, once: a refusal is the call's result and the tool never runs; an
approval reaches ``run`` as ``ctx.approved`` (to run outside the sandbox, to edit a protected
file). Every tool asks through the same gate, so an "always" is remembered once per session.
Only the shell knows of its one later question (re-run outside the sandbox after a failure),
and asks it through the same gate.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kodo.sandbox.approval import gate_for
from kodo.tools.base import Approval, Tool, ToolContext, ToolOutput


def approve(tool: Tool, args: Any, ctx: ToolContext) -> ToolContext | ToolOutput:
    """The context to run the call with, holding the gate's decision (on a copy, so no decision
    outlives its call); or, when refused, the call's result."""
    declare = getattr(tool, "approval", None)
    approval: Approval | None = declare(args, ctx) if declare is not None else None
    if approval is None:
        return replace(ctx, approved=None)
    decision = gate_for(ctx).decide(approval.ask, ctx.cwd)
    if not decision.run:
        text = f"{approval.prefix}{decision.message or 'refused'}"
        return ToolOutput(text, ok=False)
    return replace(ctx, approved=decision)
