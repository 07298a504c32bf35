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

from kodo.sandbox.approval import shell_script
from kodo.sandbox.base import ApprovalAnswer, ApprovalRequest

CHOICES = "[y]es · [n]o · [a]lways for this command prefix · [e]xplain and refuse"


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


def describe_request(request: ApprovalRequest, sandbox_mode: str) -> list[str]:
    script = shell_script(request.argv)
    command = script if script is not None else shlex.join(request.argv)
    if request.escalate:
        where = f"OUTSIDE the sandbox: it would leave the {sandbox_mode} sandbox"
    elif sandbox_mode == "danger-full-access":
        where = "with full access (no sandbox)"
    else:
        where = f"inside the {sandbox_mode} sandbox"
    lines = [f"$ {command}", f"  in {request.cwd}, {where}"]
    if request.reason:
        lines.append(f"  reason: {request.reason}")
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
