"""``kodo exec``: run one task (or continue a recorded one) without interaction.

Builds the parts from config, wires the event stream to the session file and the terminal,
and guarantees the session is closed (processes stopped, final event written) however it ends.
"""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from kodo.config import Config, ConfigError, load_config

EXIT_ERROR = 1
EXIT_USAGE = 2


class UsageError(Exception):
    pass


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    flags: dict[str, Any] = {
        "model": args.model,
        "provider": args.provider,
        "base_url": args.base_url,
        "max_turns": args.max_turns,
        "sandbox_mode": args.sandbox,
        "network_access": args.network,
        "approval_policy": args.ask_for_approval,
    }
    if args.full_auto:
        flags["sandbox_mode"] = flags["sandbox_mode"] or "workspace-write"
        flags["approval_policy"] = flags["approval_policy"] or "on-failure"
    return flags


def _split_prompt(args: argparse.Namespace) -> tuple[str | None, str]:
    """Returns (session to resume or None, prompt). ``resume --last`` resumes the latest."""
    words = list(args.prompt)
    resume: str | None = None
    if words and words[0] == "resume":
        words.pop(0)
        if args.last:
            resume = "--last"
        elif words:
            resume = words.pop(0)
        else:
            raise UsageError("kodo exec resume needs a session id or --last (see `kodo sessions`)")
    elif args.last:
        raise UsageError("--last is only meaningful with `kodo exec resume`")
    text = " ".join(words)
    if text.strip() == "-":
        text = sys.stdin.read()
    if not text.strip():
        raise UsageError('no prompt given: kodo exec "describe the task" (or - to read stdin)')
    return resume, text


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    try:
        resume, prompt = _split_prompt(args)
        cwd = Path(args.cd or ".").expanduser().resolve()
        if not cwd.is_dir():
            raise UsageError(f"--cd {args.cd}: not a directory")
        config = load_config(cwd, overrides=args.config, flags=_flags(args), profile=args.profile)
    except (UsageError, ConfigError) as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return run_session(
        config,
        cwd,
        prompt,
        resume=resume,
        json_output=args.json,
        last_message_file=args.output_last_message,
    )


def run_session(
    config: Config,
    cwd: Path,
    prompt: str,
    *,
    resume: str | None = None,
    json_output: bool = False,
    last_message_file: str | None = None,
) -> int:
    from kodo.agent.conversation import Conversation
    from kodo.agent.instructions import project_instructions, system_prompt
    from kodo.agent.loop import Agent, RunOutcome
    from kodo.agent.skills import discover_skills
    from kodo.agent.toolset import default_tools
    from kodo.events import SessionCompleted, SessionStarted, UserMessage
    from kodo.models.base import ModelError
    from kodo.models.factory import create_model
    from kodo.sandbox import SandboxUnavailable, create_executor
    from kodo.session.rollout import RolloutWriter, new_session_id, new_session_path
    from kodo.session.store import (
        SessionNotFound,
        find_session,
        latest_session,
        read_events,
        session_id_of,
    )
    from kodo.tools.base import ToolContext
    from kodo.ui.render import ConsoleRenderer, JsonLinesPrinter

    skills, skill_problems = discover_skills(cwd)
    for problem in skill_problems:
        print(f"kodo: skipped a skill: {problem}", file=sys.stderr)
    try:
        if resume:
            path = latest_session() if resume == "--last" else find_session(resume)
            conversation = Conversation.from_events(system_prompt(skills), read_events(path))
            session_id = session_id_of(path)
            instructions = None
        else:
            conversation = Conversation(system_prompt(skills))
            instructions = project_instructions(cwd)
            session_id = new_session_id()
            path = new_session_path(session_id)
        model = create_model(config)
        executor = create_executor(config, cwd)
    except (SessionNotFound, ModelError, SandboxUnavailable) as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return EXIT_ERROR

    if json_output:
        show = JsonLinesPrinter(sys.stdout)
    else:
        from rich.console import Console

        show = ConsoleRenderer(Console(highlight=False))
    writer = RolloutWriter(path)

    def emit(event: Any) -> None:
        writer(event)
        show(event)

    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    outcome = RunOutcome("error", error="the session did not start")
    try:
        emit(
            SessionStarted(
                session_id=session_id,
                model=config.model,
                provider=config.provider,
                cwd=str(cwd),
                resumed_from=session_id if resume else None,
            )
        )
        if instructions:
            conversation.add_user(instructions)
            writer(UserMessage(text=instructions, kind="instructions"))
        ctx = ToolContext(cwd=cwd, config=config, emit=emit, executor=executor)
        agent = Agent(
            config=config,
            model=model,
            tools=default_tools(skills),
            ctx=ctx,
            conversation=conversation,
            emit=emit,
        )
        outcome = agent.run(prompt)
    except KeyboardInterrupt:
        outcome = RunOutcome("interrupted", error="interrupted")
    except Exception as exc:  # a bug in kodo: record it, keep the log whole, show the traceback
        traceback.print_exc()
        outcome = RunOutcome("error", error=f"kodo failed: {type(exc).__name__}: {exc}")
    finally:
        executor.close()
        emit(
            SessionCompleted(
                status=outcome.status,
                exit_code=outcome.exit_code,
                final_message=outcome.final_message,
                error=outcome.error,
            )
        )
        writer.close()
        signal.signal(signal.SIGTERM, previous)
    if last_message_file and outcome.final_message is not None:
        Path(last_message_file).write_text(outcome.final_message, encoding="utf-8")
    if outcome.status == "error" and json_output:
        print(f"kodo: {outcome.error}", file=sys.stderr)
    return outcome.exit_code
