"""``shell``: run a command in the session's sandbox, in the foreground or in the background,
under the session's approval policy."""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from kodo.events import BackgroundDetail, CommandDetail
from kodo.records import spec
from kodo.sandbox.approval import CommandAsk, gate_for, inspects_only
from kodo.sandbox.background import describe_exit
from kodo.sandbox.base import ExecResult, Executor
from kodo.sandbox.network import lacks_network, network_hint
from kodo.sandbox.shell_parse import shell_script
from kodo.tools.base import Approval, ToolContext, ToolOutput, resolve_path
from kodo.tools.live_output import LiveOutput

BACKGROUND_WAIT_S = 0.75  # how long a background start waits for first output
TAIL_LINES = 6  # the output lines a command's card can show (kodo exec shows 6, the shell 4)
TAIL_LINE_CHARS = 1000


@dataclass(kw_only=True)
class ShellArgs:
    command: list[str] | str = spec(
        description="argv list (preferred), or a string run with `bash -c`."
    )
    workdir: str | None = spec(None, description="Directory to run in, relative to the cwd.")
    timeout_ms: int | None = spec(None, gt=0, description="Kill the command after this long.")
    background: bool = spec(
        False, description="Start it in the background (servers, watchers); see the process tool."
    )
    with_escalated_permissions: bool = spec(
        False, description="Ask the person to run this outside the sandbox (on-request policy)."
    )
    justification: str | None = spec(None, description="Why it must run outside the sandbox.")


def to_argv(command: list[str] | str) -> list[str]:
    """A string runs with ``bash -c``, not a login shell: the session's environment already is
    the person's login environment (``sandbox/login_env.py``), captured once, so the profile
    is not paid again per command, and on Debian its PATH reset cannot drop a virtualenv."""
    return ["bash", "-c", command] if isinstance(command, str) else list(command)


def display(argv: list[str]) -> str:
    script = shell_script(argv)
    return script if script is not None else shlex.join(argv)


def _card(argv: list[str], result: ExecResult, outside: bool) -> CommandDetail:
    """What the command's card shows: how it ended and the last lines of its own output, not
    the header the model reads. A command that does more than look at the workspace runs code:
    after the last edit, its success is the check the session's final status reports."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    return CommandDetail(
        command=display(argv),
        exit_code=result.exit_code,
        ended=status_line(result),
        duration_s=round(result.duration_s, 3),
        timed_out=result.timed_out,
        outside_sandbox=outside,
        runs_code=not inspects_only(argv),
        tail=[line[:TAIL_LINE_CHARS] for line in lines[-TAIL_LINES:]],
        lines=len(lines),
    )


def _workdir(args: ShellArgs, ctx: ToolContext) -> Path:
    return resolve_path(ctx, args.workdir) if args.workdir else ctx.cwd


def failure_of(result: ExecResult) -> str | None:
    """Why a result counts as failed, or None."""
    if result.cancelled:
        return "interrupted by the user"
    if result.timed_out:
        return f"timed out after {result.duration_s:.1f} s"
    if result.signal is not None:
        return f"killed by signal {result.signal}"
    if result.exit_code != 0:
        return result.note or f"exit code {result.exit_code}"
    return None


def status_line(result: ExecResult) -> str:
    if result.cancelled:
        return "interrupted by the user; the process group was killed"
    if result.timed_out:
        return f"timed out after {result.duration_s:.1f} s; the process group was killed"
    if result.signal is not None:
        return describe_exit(-result.signal)
    if result.exit_code is None:
        return "did not run to completion"
    return f"exit code {result.exit_code}"


OWN_LINES_BYTES = 1024


def output_budget(limit: int) -> int:
    """What a command's output may keep so that it and the result's own lines (status, wall
    time, notes: ``OWN_LINES_BYTES``) fit in ``limit``: the output is cut once, by the executor
    keeping head and tail, and the loop's cap of every result leaves it whole."""
    return max(limit - min(OWN_LINES_BYTES, limit // 4), 1)


def format_result(result: ExecResult, prefix: str = "") -> str:
    lines = [prefix + status_line(result), f"wall time: {result.duration_s:.2f} s"]
    if result.note:
        lines.append(f"note: {result.note}")
    lines.append("output:" if result.output else "output: (none)")
    text = "\n".join(lines)
    return f"{text}\n{result.output}" if result.output else text


class ShellTool:
    name: ClassVar[str] = "shell"
    description: ClassVar[str] = (
        "Run a command. It runs in a sandbox: the workspace is writable, the rest of the "
        "filesystem read-only, and the network is off unless configured. Output is capped "
        "(head and tail kept). Use background=true for servers and watchers, then the process "
        "tool to read their output or stop them."
    )
    Args: ClassVar[type] = ShellArgs

    def describe(self, args: ShellArgs) -> str:
        shown = f"$ {display(to_argv(args.command))}"
        return f"{shown}  (background)" if args.background else shown

    def streams(self, args: ShellArgs) -> bool:
        return not args.background

    def approval(self, args: ShellArgs, ctx: ToolContext) -> Approval | None:
        """Every command that can run is judged (rules apply under every policy); one that
        cannot (empty, no such workdir) is not asked about, and ``run`` says why."""
        argv = to_argv(args.command)
        cwd = _workdir(args, ctx)
        if not argv or not cwd.is_dir():
            return None
        ask = CommandAsk(argv, cwd, args.with_escalated_permissions, args.justification)
        return Approval(ask, prefix="")

    def run(self, args: ShellArgs, ctx: ToolContext) -> ToolOutput:
        argv = to_argv(args.command)
        if not argv:
            return ToolOutput("error: empty command.", ok=False)
        cwd = _workdir(args, ctx)
        if not cwd.is_dir():
            return ToolOutput(f"error: workdir {cwd} is not a directory.", ok=False)
        decision = ctx.approved
        if decision is None:  # the workdir appeared after the approval step passed it over
            return ToolOutput("error: the command was not approved; send it again.", ok=False)
        executor = ctx.executor.outside_sandbox() if decision.outside else ctx.executor
        if args.background:
            return self._background(executor, argv, cwd)
        timeout_s = (args.timeout_ms or ctx.config.shell_timeout_ms) / 1000
        result = self._foreground(executor, argv, cwd, timeout_s, ctx)
        prefix = "ran outside the sandbox (approved)\n" if decision.outside else ""
        failure = failure_of(result)
        sandboxed = not decision.outside and ctx.config.sandbox_mode != "danger-full-access"
        offline = sandboxed and bool(failure) and lacks_network(ctx.config, result.output)
        if failure and sandboxed and not result.cancelled:
            # the one question only the shell can know of: asked through the session's gate
            gate = gate_for(ctx)
            retry = gate.after_failure(argv, cwd, failure, offline=offline)
            if retry.run:
                first = status_line(result)
                result = self._foreground(ctx.executor.outside_sandbox(), argv, cwd, timeout_s, ctx)
                prefix = f"failed in the sandbox ({first}); re-ran outside it (approved)\n"
                offline = False
            elif retry.message and (gate.policy == "on-failure" or offline):
                prefix = f"not re-run outside the sandbox: {retry.message}\n"
        detail = _card(argv, result, decision.outside or prefix.startswith("failed in"))
        text = format_result(result, prefix)
        if offline:
            text += f"\nnote from kodo: {network_hint(ctx.config)}"
        return ToolOutput(text, ok=failure_of(result) is None, detail=detail)

    @staticmethod
    def _foreground(
        executor: Executor, argv: list[str], cwd: Path, timeout_s: float, ctx: ToolContext
    ) -> ExecResult:
        live = LiveOutput(ctx.emit, ctx.call_id) if ctx.call_id else None
        result = executor.run(
            argv,
            cwd=cwd,
            timeout_s=timeout_s,
            max_output_bytes=output_budget(ctx.config.tool_output_max_bytes),
            on_output=live,
            cancel=ctx.cancel,
        )
        if live is not None:
            live.flush()
        return result

    @staticmethod
    def _background(executor: Executor, argv: list[str], cwd: Path) -> ToolOutput:
        handle = executor.start(argv, cwd=cwd)
        deadline = time.monotonic() + BACKGROUND_WAIT_S
        output = handle.read_new(BACKGROUND_WAIT_S)
        while not output and handle.poll() is None and time.monotonic() < deadline:
            output = handle.read_new(deadline - time.monotonic())
        detail = BackgroundDetail(command=display(argv), process_id=handle.id)
        text = (
            f"started in the background as {handle.id} ({handle.status()})\nfirst output:\n{output}"
            if output
            else f"started in the background as {handle.id} ({handle.status()}); no output yet"
        )
        return ToolOutput(text, ok=handle.poll() in (None, 0), detail=detail)


@dataclass(kw_only=True)
class BashArgs:
    command: str = spec(description="The command line, run with bash.")


class BashTool(ShellTool):
    """The compact profile's shell: one argument, so a small model has nothing to get wrong."""

    name: ClassVar[str] = "bash"
    description: ClassVar[str] = (
        "Run a bash command in the workspace (sandboxed, no network) and get its exit code and "
        "output. Use it to run scripts and tests and to look at files (cat, ls)."
    )
    Args: ClassVar[type] = BashArgs

    def describe(self, args: ShellArgs | BashArgs) -> str:
        return f"$ {args.command}" if isinstance(args, BashArgs) else super().describe(args)

    def streams(self, args: ShellArgs | BashArgs) -> bool:
        return isinstance(args, BashArgs) or super().streams(args)

    def approval(self, args: ShellArgs | BashArgs, ctx: ToolContext) -> Approval | None:
        shell = _as_shell(args)
        return None if shell is None else super().approval(shell, ctx)

    def run(self, args: ShellArgs | BashArgs, ctx: ToolContext) -> ToolOutput:
        shell = _as_shell(args)
        if shell is None:
            return ToolOutput("error: empty command.", ok=False)
        return super().run(shell, ctx)


def _as_shell(args: ShellArgs | BashArgs) -> ShellArgs | None:
    """The shell's arguments for a ``bash`` call, None when empty. It runs ``bash -c``, not a
    login shell: the session already runs in the person's login environment, and profile
    scripts that write to the read-only home inside the sandbox (``pyenv: cannot rehash``)
    print noise that small models take for the command's error."""
    command = args.command if isinstance(args, BashArgs) else ""
    return ShellArgs(command=["bash", "-c", command]) if command.strip() else None
