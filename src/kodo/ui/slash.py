"""Slash commands: everything the person can do in the shell besides prompting the model.

Each handler takes the shell and the text after the command; returning False ends the shell.
"""

from __future__ import annotations

import shlex
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING

from kodo.config import ApprovalPolicy, Config, SandboxMode
from kodo.sandbox.approval import rule_text
from kodo.ui.safe_text import visible

if TYPE_CHECKING:
    from kodo.ui.shell import Shell

MODEL_USAGE = "/model NAME [--provider P] [--base-url URL]"
Handler = Callable[["Shell", str], "bool | None"]

INIT_PROMPT = (
    "Look at this repository (layout, build files, test setup, conventions) and write a concise "
    "AGENTS.md at its root for coding agents: what the project is, how to build, run the tests "
    "and lint, the code layout, and conventions to follow. Keep it under 60 lines. If an "
    "AGENTS.md already exists, improve it rather than starting over."
)


def _error(message: str) -> Exception:
    from kodo.ui.shell import ShellError

    return ShellError(message)


def _help(shell: Shell, arg: str) -> None:
    for name, (_, text) in COMMANDS.items():
        shell.console.print(f"  [bold]{name:<10}[/] {text}", highlight=False)


def _quit(shell: Shell, arg: str) -> bool:
    return False


def _updated(shell: Shell, **changes: object) -> Config:
    from kodo.records import RecordError, read

    try:
        return read(Config, {**vars(shell.config), **changes})
    except RecordError as exc:
        raise _error(f"not changed: {exc}") from exc


def _apply_config(shell: Shell, config: Config) -> None:
    shell.config = config
    session = shell.session
    if session is not None and session.agent is not None and session.ctx is not None:
        session.config = config
        session.ctx.config = config
        session.agent.config = config


def _model(shell: Shell, arg: str) -> None:
    """``/model NAME [--provider P] [--base-url URL]``."""
    from kodo.agent.context import context_window
    from kodo.models.base import ModelError
    from kodo.models.factory import create_model

    try:
        words = shlex.split(arg)
    except ValueError as exc:
        raise _error(f"/model: {exc}; usage: {MODEL_USAGE}") from exc
    if not words:
        c = shell.config
        shell.console.print(
            f"model {c.model} · provider {c.provider}"
            + (f" · {c.base_url}" if c.base_url else "")
            + f"\nswitch with: {MODEL_USAGE}",
            highlight=False,
        )
        return
    changes: dict[str, object] = {"model": words[0]}
    rest = words[1:]
    while rest:
        flag = rest.pop(0)
        if flag not in ("--provider", "--base-url") or not rest:
            raise _error(
                f"/model: unexpected {flag!r}; usage: /model NAME [--provider P] [--base-url URL]"
            )
        changes[flag[2:].replace("-", "_")] = rest.pop(0)
    agent = shell.agent()
    config = _updated(shell, **changes)
    try:
        model = create_model(config)
    except ModelError as exc:
        raise _error(f"/model: {exc}") from exc
    agent.model = model
    agent.window = context_window(config)
    _apply_config(shell, config)
    shell.renderer.model = config.model
    shell.console.print(f"model: {config.model} ({config.provider})", highlight=False, markup=False)


def _choice(arg: str, kind: object, what: str) -> str:
    allowed = typing.get_args(kind)
    value = arg.strip()
    if value not in allowed:
        raise _error(f"{what} must be one of: {', '.join(allowed)}")
    return value


def _approvals(shell: Shell, arg: str) -> None:
    if not arg.strip():
        shell.console.print(f"approval policy: {shell.config.approval_policy}", highlight=False)
        return
    from kodo.ui.approvals import InlineApprover

    policy = _choice(arg, ApprovalPolicy, "/approvals")
    shell.agent()
    _apply_config(shell, _updated(shell, approval_policy=policy))
    # a new approver makes the shell tool build a new gate: the new policy, "always" forgotten
    shell.approver = InlineApprover()
    if shell.session is not None and shell.session.ctx is not None:
        shell.session.ctx.approver = shell.approver
    shell.console.print(f"approval policy: {policy}", highlight=False)


def _sandbox(shell: Shell, arg: str) -> None:
    from kodo.sandbox.base import SandboxUnavailable
    from kodo.sandbox.factory import create_executor

    if not arg.strip():
        shell.console.print(f"sandbox: {shell.config.sandbox_mode}", highlight=False)
        return
    mode = _choice(arg, SandboxMode, "/sandbox")
    shell.agent()
    session = shell.session
    assert session is not None and session.ctx is not None
    config = _updated(shell, sandbox_mode=mode)
    try:
        env = session.login.environment if session.login is not None else None
        executor = create_executor(config, shell.cwd, env=env)
    except SandboxUnavailable as exc:
        raise _error(f"/sandbox: {exc}") from exc
    session.executor.close()
    session.executor = executor
    session.ctx.executor = executor
    _apply_config(shell, config)
    shell.console.print(
        f"sandbox: {mode} (background processes of the old sandbox were stopped)", highlight=False
    )


def _diff(shell: Shell, arg: str) -> None:
    from rich.syntax import Syntax

    from kodo.ui.checkpoints import CheckpointError

    if shell.checkpoints is None:
        shell.console.print("nothing changed in this session yet")
        return
    try:
        diff = shell.checkpoints.diff()
    except CheckpointError as exc:
        raise _error(f"/diff: {exc}") from exc
    if not diff.strip():
        shell.console.print("nothing changed in this session")
        return
    shell.console.print(
        Syntax(visible(diff), "diff", theme="ansi_dark", background_color="default")
    )


def _undo(shell: Shell, arg: str) -> None:
    from kodo.ui.checkpoints import CheckpointError

    if shell.checkpoints is None:
        shell.console.print("nothing to undo")
        return
    try:
        changed = shell.checkpoints.undo()
    except CheckpointError as exc:
        raise _error(f"/undo: {exc}") from exc
    if changed is None:
        shell.console.print("nothing to undo")
    elif not changed:
        shell.console.print("the last turn changed no files")
    else:
        shell.console.print(
            f"restored {len(changed)} file(s) as they were before the last turn: "
            + visible(", ".join(changed[:10]), newlines=False)
            + (" …" if len(changed) > 10 else ""),
            highlight=False,
            markup=False,
        )


def _context_use(shell: Shell) -> str:
    """How much of the model's context window the conversation fills."""
    agent = shell.session.agent if shell.session is not None else None
    if agent is None:
        return "(starts with the first prompt)"
    used, window = agent.context_tokens(), agent.window
    return f"{used:,} of {window:,} tokens ({used / window:.0%}) in the context window"


def _status(shell: Shell, arg: str) -> None:
    c = shell.config
    session = shell.session
    r = shell.renderer
    lines = [
        f"model     {c.model} ({c.provider}{', ' + c.base_url if c.base_url else ''})",
        f"tokens    {r.tokens_in:,} in / {r.tokens_out:,} out",
        f"cost      {r.cost_text()}",
        f"context   {_context_use(shell)}",
        f"sandbox   {c.sandbox_mode}, network {c.network_mode}",
        f"approvals {c.approval_policy}",
        f"workspace {shell.cwd}",
        f"session   {session.rollout if session else '(starts with the first prompt)'}",
    ]
    rules = c.approval.rules
    lines += [f"rule      {rule_text(rule)}" for rule in rules] or ["rules     (none)"]
    for line in lines:
        shell.console.print(visible(line), highlight=False, markup=False)


def _compact(shell: Shell, arg: str) -> None:
    agent = shell.agent()
    done = shell._run_job(agent.compact)
    if done is False:
        shell.console.print("nothing old enough to compact yet")


def _new(shell: Shell, arg: str) -> None:
    shell.close_session()
    shell.open_in_background()
    shell.console.print("[dim]new session[/]")


def _resume(shell: Shell, arg: str) -> None:
    from kodo.ui.shell import pick_session, resume_into

    target = arg.strip() or pick_session(shell.console, shell.read)
    if target:
        resume_into(shell, target)


def _init(shell: Shell, arg: str) -> None:
    shell.run_turn(INIT_PROMPT)


def _last(shell: Shell, arg: str) -> None:
    output = shell.renderer.last_output
    if output is None:
        shell.console.print("no command has run yet")
        return
    shell.console.print(visible(output), highlight=False, markup=False)


COMMANDS: dict[str, tuple[Handler, str]] = {
    "/help": (_help, "this list"),
    "/model": (_model, "show or switch model: /model NAME [--provider P] [--base-url URL]"),
    "/approvals": (_approvals, "show or set the approval policy (untrusted, on-failure, ...)"),
    "/sandbox": (_sandbox, "show or set the sandbox (read-only, workspace-write, ...)"),
    "/diff": (_diff, "everything changed in the workspace this session, as a diff"),
    "/undo": (_undo, "restore the files as they were before the last turn"),
    "/last": (_last, "the full output of the last command"),
    "/status": (_status, "model, tokens, cost, sandbox, approval rules, session file"),
    "/compact": (_compact, "summarise older turns to free context"),
    "/new": (_new, "end this session and start a fresh one"),
    "/resume": (_resume, "reopen a past session: /resume [ID]"),
    "/init": (_init, "write a starter AGENTS.md from a look at the repository"),
    "/quit": (_quit, "end the session (or ctrl-d)"),
}
ALIASES = {"/exit": "/quit", "/?": "/help"}


def command_names() -> list[str]:
    return list(COMMANDS)


def dispatch(shell: Shell, text: str) -> bool | None:
    name, _, arg = text.partition(" ")
    name = ALIASES.get(name, name)
    entry = COMMANDS.get(name)
    if entry is None:
        raise _error(f"unknown command {name}; /help lists them")
    return entry[0](shell, arg)
