"""The contract between tools and whatever runs commands: plain subprocesses or a sandbox.

One ``Executor`` lives for a whole session, so background processes and later commands share it;
``close`` stops every process the session started. A sandboxed executor also owns the plain one
that approved escalations run in (``outside_sandbox``), so one ``close`` ends both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be set up here; kodo refuses to run commands unsandboxed instead."""


@dataclass
class ExecResult:
    exit_code: int | None  # None when killed by a signal, on timeout, or when it never started
    output: str  # combined stdout and stderr, already capped
    duration_s: float
    timed_out: bool = False
    signal: int | None = None
    omitted_bytes: int = 0  # how much of the output was cut to respect the cap
    note: str | None = None  # what went wrong around the command (sandbox restarted, no start)
    cancelled: bool = False  # killed, or never started, because the turn was interrupted


class ProcessHandle(Protocol):
    """A background process: a server, a watcher, anything that outlives one tool call."""

    id: str
    argv: list[str]

    def read_new(self, wait_s: float = 0.0) -> str: ...
    def write(self, data: str) -> None: ...
    def poll(self) -> int | None: ...  # exit code, minus the signal number when killed
    def status(self) -> str: ...  # "running", "exited 0", "killed by signal 9", "lost ..."
    def stop(self) -> int | None: ...


class Executor(Protocol):
    def run(
        self,
        argv: list[str],
        *,
        cwd: Path,
        timeout_s: float,
        max_output_bytes: int,
        on_output: Callable[[bytes], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> ExecResult:
        """``on_output`` sees each chunk the command prints as it prints it. Once ``cancel`` is
        set the command's process group is killed at once (a command asked to run after that
        does not start): the person stopped the turn."""
        ...

    def run_attached(self, argv: list[str], *, cwd: Path) -> int:
        """Run with kodo's own stdin, stdout and stderr; returns a shell-style exit status."""
        ...

    def start(self, argv: list[str], *, cwd: Path) -> ProcessHandle: ...

    def get(self, handle_id: str) -> ProcessHandle | None: ...

    def processes(self) -> list[ProcessHandle]: ...

    def outside_sandbox(self) -> Executor: ...

    def close(self) -> None: ...


ApprovalAnswer = Literal["yes", "no", "always"]


@dataclass(frozen=True)
class McpCall:
    """A call to a tool of an MCP server: it runs in that server's process, outside the
    sandbox. The hints are the server's own annotations of the tool."""

    server: str
    tool: str
    qualified: str  # the name the model called it by: SERVER__tool
    arguments: str  # JSON, indented
    read_only: bool = False
    destructive: bool | None = None
    open_world: bool | None = None
    hints: str | None = None  # the annotations in words, for the person


@dataclass
class ApprovalRequest:
    argv: list[str]
    cwd: Path
    reason: str | None  # the model's justification, when it asked to leave the sandbox
    escalate: bool  # True when the command would run outside the sandbox
    patch: str | None = None  # a file edit: the patch (argv is then ["apply_patch", *paths])
    remember: bool = True  # whether an "always" answer is remembered, or counts as one "yes"
    mcp: McpCall | None = None  # an MCP tool call (argv is then [SERVER__tool, arguments])


class Approver(Protocol):
    """Asks a person (or a scripted stand-in) whether a command may run."""

    def ask(self, request: ApprovalRequest) -> tuple[ApprovalAnswer, str | None]: ...
