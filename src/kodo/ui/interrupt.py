"""Stopping a running turn from the keyboard without ending the session.

The agent runs in a worker thread; the shell's main thread sees Ctrl-C or Esc and calls
``TurnControl.interrupt``. Three thin wrappers around the agent's parts make that take effect at
once: the model stream stops waiting for the server, the running command's process group is
killed, and tool calls not yet started are answered "interrupted" so the conversation stays
well-formed for the next turn.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kodo.models.base import Message, StreamItem, ToolSpec
from kodo.sandbox.base import ExecResult, ProcessHandle
from kodo.tools.base import ToolContext, ToolOutput

POLL_S = 0.05
INTERRUPTED_TOOL = "interrupted by the user before this tool call ran; it did not run."


class TurnInterrupted(BaseException):
    """Raised in the worker thread to unwind the agent loop. A BaseException so that no
    ``except Exception`` in the loop or a tool mistakes it for an error to recover from."""


class TurnControl:
    """The flag the wrappers check, and the executors whose running command an interrupt kills."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.executors: list[InterruptibleExecutor] = []
        self.tool_cancel: threading.Event | None = None  # the running tool's, set on interrupt

    @property
    def interrupted(self) -> bool:
        return self._event.is_set()

    def reset(self) -> None:
        self._event.clear()
        if self.tool_cancel is not None:
            self.tool_cancel.clear()

    def interrupt(self) -> None:
        self._event.set()
        for executor in list(self.executors):
            executor.kill_running()
        if self.tool_cancel is not None:
            self.tool_cancel.set()  # a tool's long wait (the job tool) returns at once

    def check(self) -> None:
        if self._event.is_set():
            raise TurnInterrupted


class InterruptibleModel:
    """Pumps the real stream in a helper thread so the worker can give up on a silent server."""

    def __init__(self, inner: Any, control: TurnControl) -> None:
        self.inner = inner
        self.control = control
        self.provider = inner.provider
        self.name = inner.name

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[StreamItem]:
        self.control.check()
        items: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def pump() -> None:
            try:
                for item in self.inner.stream(messages, tools):
                    if stop.is_set():
                        return
                    items.put(("item", item))
                items.put(("end", None))
            except BaseException as exc:
                items.put(("error", exc))

        threading.Thread(target=pump, name="kodo-model-stream", daemon=True).start()
        try:
            while True:
                try:
                    kind, value = items.get(timeout=POLL_S)
                except queue.Empty:
                    self.control.check()
                    continue
                self.control.check()
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                yield value
        finally:
            stop.set()


def _descendants(root: int) -> dict[int, int]:
    """Every process below ``root``, mapped to its parent: sandboxed commands run under a
    supervisor, not directly under kodo, so children alone would miss them."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: dict[int, int] = {}
    todo = [root]
    while todo:
        parent = todo.pop()
        for child in children.get(parent, []):
            if child not in found:
                found[child] = parent
                todo.append(child)
    return found


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid and pid != os.getpgrp()
    except (ProcessLookupError, PermissionError):
        return False


def innermost_groups(tree: dict[int, int], candidates: set[int]) -> set[int]:
    """The group leaders among ``candidates`` with no other such leader below them: the
    command itself rather than a sandbox that happened to start with it."""
    leaders = {pid for pid in candidates if _leads_group(pid)}
    outer: set[int] = set()
    for pid in leaders:
        parent = tree.get(pid)
        while parent in tree:
            if parent in leaders:
                outer.add(parent)
            parent = tree.get(parent)
    return leaders - outer


class InterruptibleExecutor:
    """Remembers which processes existed below kodo before a foreground command started, so an
    interrupt kills only the process groups that command started (background processes and
    their workers, which were there before or share an older group, keep running)."""

    def __init__(self, inner: Any, control: TurnControl) -> None:
        self.inner = inner
        self.control = control
        control.executors.append(self)
        self._lock = threading.Lock()
        self._before: set[int] | None = None
        self._outside: InterruptibleExecutor | None = None

    def run(
        self,
        argv: list[str],
        *,
        cwd: Path,
        timeout_s: float,
        max_output_bytes: int,
        on_output: Callable[[bytes], None] | None = None,
    ) -> ExecResult:
        with self._lock:
            self._before = set(_descendants(os.getpid()))
        try:
            if self.control.interrupted:
                return ExecResult(exit_code=None, output=INTERRUPTED_TOOL, duration_s=0.0)
            return self.inner.run(
                argv,
                cwd=cwd,
                timeout_s=timeout_s,
                max_output_bytes=max_output_bytes,
                on_output=on_output,
            )
        finally:
            with self._lock:
                self._before = None

    def kill_running(self) -> None:
        """Kills the innermost process groups started since the command began; called again
        while the command has not returned, it works outwards."""
        with self._lock:
            before = self._before
        if before is None:
            return
        tree = _descendants(os.getpid())
        for pid in innermost_groups(tree, set(tree) - before):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

    def start(self, argv: list[str], *, cwd: Path) -> ProcessHandle:
        return self.inner.start(argv, cwd=cwd)

    def get(self, handle_id: str) -> ProcessHandle | None:
        return self.inner.get(handle_id)

    def processes(self) -> list[ProcessHandle]:
        return self.inner.processes()

    def outside_sandbox(self) -> InterruptibleExecutor:
        """Approved escalations run here; they must be just as interruptible."""
        inner = self.inner.outside_sandbox()
        if inner is self.inner:
            return self
        if self._outside is None or self._outside.inner is not inner:
            self._outside = InterruptibleExecutor(inner, self.control)
        return self._outside

    def detach(self) -> None:
        """Forget this executor (it was replaced, e.g. by /sandbox)."""
        for executor in (self, self._outside):
            if executor is not None and executor in self.control.executors:
                self.control.executors.remove(executor)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class InterruptibleTools:
    """Answers tool calls that come after an interrupt without running them."""

    def __init__(self, inner: Any, control: TurnControl) -> None:
        self.inner = inner
        self.control = control

    @property
    def names(self) -> list[str]:
        return self.inner.names

    def specs(self) -> list[ToolSpec]:
        return self.inner.specs()

    def dispatch(self, name: str, raw_arguments: str, ctx: ToolContext) -> ToolOutput:
        if self.control.interrupted:
            return ToolOutput(INTERRUPTED_TOOL, ok=False)
        self.control.tool_cancel = ctx.cancel
        return self.inner.dispatch(name, raw_arguments, ctx)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
