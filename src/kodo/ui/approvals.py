"""Approvals asked inline in the shell.

The shell tool asks from the agent's worker thread, but only the main thread may use the
terminal; so ``ask`` hands the request over and waits, and the main thread, which watches for
keys while a turn runs, puts the question to the person and hands the answer back.
"""

from __future__ import annotations

import queue
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from kodo.sandbox.base import ApprovalAnswer, ApprovalRequest, McpCall
from kodo.sandbox.shell_parse import shell_script
from kodo.ui.safe_text import visible

CHOICES = "[y]es · [n]o · [a]lways (this exact command or these files) · [e]xplain and refuse"
MCP_CHOICES = (
    "[y]es · [n]o · [a]lways (this tool of this server, for this session) · [e]xplain and refuse"
)
PATCH_LINES = 40  # of an edit's patch shown in the question; the rest is counted


@dataclass
class PendingApproval:
    request: ApprovalRequest
    done: threading.Event = field(default_factory=threading.Event)
    answer: tuple[ApprovalAnswer, str | None] = ("no", None)


class InlineApprover:
    def __init__(self) -> None:
        self._pending: queue.Queue[PendingApproval] = queue.Queue()

    def ask(self, request: ApprovalRequest) -> tuple[ApprovalAnswer, str | None]:
        """Worker thread: blocks until the person answered (or the turn was interrupted)."""
        pending = PendingApproval(request)
        self._pending.put(pending)
        pending.done.wait()
        return pending.answer

    def next_request(self, timeout: float) -> PendingApproval | None:
        """Main thread: the request waiting for an answer, if one arrives within ``timeout``."""
        try:
            return self._pending.get(timeout=timeout)
        except queue.Empty:
            return None

    def refuse_all(self) -> None:
        """On interrupt: answer anything still waiting with no."""
        while True:
            try:
                pending = self._pending.get_nowait()
            except queue.Empty:
                return
            pending.done.set()


def heading(request: ApprovalRequest) -> str:
    if request.mcp is not None:
        return "kodo wants to call a tool of an MCP server"
    return (
        "kodo wants to edit files" if request.patch is not None else "kodo wants to run a command"
    )


def choices(request: ApprovalRequest) -> str:
    """What the person may answer, with what "always" covers for this request."""
    return MCP_CHOICES if request.mcp is not None else CHOICES


def _mcp_lines(call: McpCall) -> list[str]:
    """An MCP call as it is: the server's tool, run by the server outside the sandbox."""
    tool, server = visible(call.tool, newlines=False), visible(call.server, newlines=False)
    lines = [
        f"tool {tool} of MCP server {server}",
        "  runs in the server's own process, OUTSIDE kodo's sandbox, with whatever access "
        "the server has",
    ]
    if call.hints:
        lines.append(f"  the server describes it as: {call.hints}")
    arguments = visible(call.arguments).splitlines()
    lines.append("  arguments:")
    lines += [f"  │ {line}" for line in arguments[:PATCH_LINES]]
    if len(arguments) > PATCH_LINES:
        lines.append(f"  … {len(arguments) - PATCH_LINES} more lines")
    return lines


def describe_request(request: ApprovalRequest, sandbox_mode: str) -> list[str]:
    """The question's lines. What the model chose is made ``visible`` and its extra lines are
    marked with "│", so it can neither send escape sequences nor pass off lines as kodo's."""
    cwd = visible(str(request.cwd), newlines=False)
    if request.mcp is not None:
        lines = _mcp_lines(request.mcp)
    elif request.patch is not None:
        files = ", ".join(visible(path, newlines=False) for path in request.argv[1:])
        patch = visible(request.patch).splitlines()
        lines = [f"edit {files}", f"  in {cwd}"]
        lines += [f"  │ {line}" for line in patch[:PATCH_LINES]]
        if len(patch) > PATCH_LINES:
            lines.append(f"  … {len(patch) - PATCH_LINES} more lines")
    else:
        script = shell_script(request.argv)
        command = visible(script if script is not None else shlex.join(request.argv))
        first, *more = command.split("\n")
        if request.escalate:
            where = f"OUTSIDE the sandbox: it would leave the {sandbox_mode} sandbox"
        elif sandbox_mode == "danger-full-access":
            where = "with full access (no sandbox)"
        else:
            where = f"inside the {sandbox_mode} sandbox"
        lines = [f"$ {first}", *(f"│ {line}" for line in more), f"  in {cwd}, {where}"]
    if request.reason:
        lines.append(f"  reason: {visible(request.reason, newlines=False)}")
    if not request.remember:
        lines.append("  [a]lways counts as yes this once: this one is asked every time")
    return lines


def answer_from(
    choice: str, explain: Callable[[], str]
) -> tuple[ApprovalAnswer, str | None] | None:
    """Maps what the person typed to an answer; None when it is not one of the choices."""
    key = choice.strip().lower()[:1]
    if key == "y":
        return "yes", None
    if key == "n":
        return "no", None
    if key == "a":
        return "always", None
    if key == "e":
        return "no", explain().strip() or None
    return None


def settle(pending: PendingApproval, answer: tuple[ApprovalAnswer, str | None]) -> None:
    pending.answer = answer
    pending.done.set()
