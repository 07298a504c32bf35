"""What a tool is: typed arguments (a record, ``kodo.records``, which also gives the JSON schema
the model sees), a description, ``describe`` (one line about a call, for people) and a ``run``
that returns text for the model with, where people are shown more (a command's card, a diff), a
typed ``detail`` beside it: renderers read that, never the text.

Tools never raise to the loop: the registry turns argument errors and exceptions into error
results the model can read and act on.

A tool that does what the person may have to allow (runs a command, edits files, calls an MCP
server, uses a cluster) also has ``approval(args, ctx) -> Approval | None``: the registry asks
the session's gate about it once, before ``run`` (``tools/approve.py``), and hands the decision
to ``run`` as ``ctx.approved``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from kodo.config import Config
    from kodo.events import Event, ToolDetail
    from kodo.sandbox.approval import ApprovalGate, Ask, Decision
    from kodo.sandbox.base import Approver, Executor


@dataclass
class ToolOutput:
    output: str
    ok: bool = True
    detail: ToolDetail | None = None


@dataclass
class Approval:
    """What a call needs approved before it runs; refused, its result is the gate's words after
    ``prefix``."""

    ask: Ask
    prefix: str = "error: "


@dataclass
class ToolContext:
    cwd: Path
    config: Config
    emit: Callable[[Event], None]
    executor: Executor
    approver: Approver | None = None
    gate: ApprovalGate | None = None  # the session's approvals, made on first use (gate_for)
    call_id: str | None = None  # the call being run, so what it streams names it
    # the gate's decision for the call being run (None: it needed none); set per call by the
    # registry's approval step, on a copy of the session's context
    approved: Decision | None = None
    # set when the person stops the turn: long waits (the job tool) return at once
    cancel: threading.Event = field(default_factory=threading.Event)


class Tool(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]
    Args: ClassVar[type]  # a dataclass read with kodo.records

    def describe(self, args: Any) -> str:
        """One line about a call, for people ("$ pytest -q", "read_file src/app.py"); "" when
        the tool's own event shows it. A tool whose output streams while it runs also has
        ``streams(args) -> bool``."""
        ...

    def run(self, args: Any, ctx: ToolContext) -> ToolOutput: ...


def resolve_path(ctx: ToolContext, path: str) -> Path:
    """Paths from the model are relative to the session's working directory; ``~user`` of a
    user that does not exist stays a plain name (``expanduser`` would raise)."""
    p = Path(os.path.expanduser(path))
    return p if p.is_absolute() else (ctx.cwd / p)
