"""``kodo exec``: run one task (or continue a recorded one) without interaction.

Builds the parts from config, wires the event stream to the session file and the terminal,
and guarantees the session is closed (processes stopped, final event written) however it ends.
"""

from __future__ import annotations

import argparse
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kodo.config import Config, ConfigError, load_config, untrusted_warning
from kodo.jobs.metrics import Condition, ConditionError, RunEvidence, judge

EXIT_ERROR = 1
EXIT_USAGE = 2


class UsageError(Exception):
    pass


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
        from kodo.session.resume import command_line_flags

        flags = command_line_flags(args, resume)
        config = load_config(cwd, overrides=args.config, flags=flags, profile=args.profile)
        done_when = Condition.parse(args.done_when) if args.done_when else None
    except (UsageError, ConfigError, ConditionError) as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if warning := untrusted_warning(cwd):
        print(warning, file=sys.stderr)
    return run_session(
        config,
        cwd,
        prompt,
        resume=resume,
        json_output=args.json,
        last_message_file=args.output_last_message,
        done_when=done_when,
    )


def _tee(first: Callable[[Any], None], second: Callable[[Any], None]) -> Callable[[Any], None]:
    def both(event: Any) -> None:
        first(event)
        second(event)

    return both


def _judge(condition: Condition, evidence: RunEvidence, config: Config, outcome: Any) -> None:
    """``--done-when``: success measured from what the run reported, shown and recorded."""
    from kodo.jobs.client import client_env

    env = client_env(config.api_key_env)
    verdict = judge(condition, evidence.texts(config.clusters, env))
    line = verdict.line()
    outcome.done_when, outcome.done_met, outcome.done_verdict = str(condition), verdict.met, line
    print(f"kodo: {line}", file=sys.stderr)


def _with_jobs_report(path: Path, config: Config, prompt: str) -> str:
    """A resumed session re-attaches to its cluster jobs: the model hears what they did."""
    from kodo.jobs.client import client_env
    from kodo.jobs.command import meanwhile

    env = client_env(config.api_key_env)
    report = meanwhile(path, config.clusters, env)
    if report is None:
        return prompt
    print(f"kodo: {report}", file=sys.stderr)
    return f"{report}\n\n{prompt}"


def run_session(
    config: Config,
    cwd: Path,
    prompt: str,
    *,
    resume: str | None = None,
    json_output: bool = False,
    last_message_file: str | None = None,
    done_when: Condition | None = None,
) -> int:
    from kodo.agent.loop import RunOutcome
    from kodo.agent.session import SessionSetupError, open_session
    from kodo.ui.render import ConsoleRenderer, JsonLinesPrinter, OutputClosed, make_console

    if json_output:
        show: Any = JsonLinesPrinter(sys.stdout)
    else:
        console = make_console()
        show = ConsoleRenderer(console, live=console.is_terminal)
    evidence = RunEvidence()
    watched = show if done_when is None else _tee(evidence, show)
    try:
        session = open_session(config, cwd, resume=resume, show=watched)
    except SessionSetupError as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return EXIT_ERROR

    if resume and config.clusters:
        prompt = _with_jobs_report(session.rollout, config, prompt)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    outcome = RunOutcome("error", error="the session did not start")
    try:
        outcome = session.start().run(prompt)
    except OutputClosed as exc:
        outcome = RunOutcome("interrupted", error=str(exc))
    except KeyboardInterrupt:
        outcome = RunOutcome("interrupted", error="interrupted")
    except Exception as exc:  # a bug in kodo: record it, keep the log whole, show the traceback
        traceback.print_exc()
        outcome = RunOutcome("error", error=f"kodo failed: {type(exc).__name__}: {exc}")
    finally:
        if done_when is not None:
            _judge(done_when, evidence, config, outcome)
        session.close(outcome)
        if isinstance(show, ConsoleRenderer):
            show.stop()
        signal.signal(signal.SIGTERM, previous)
    if last_message_file and outcome.final_message is not None:
        Path(last_message_file).write_text(outcome.final_message, encoding="utf-8")
    if outcome.status == "error" and json_output:
        from kodo.ui.safe_text import visible  # a provider's error text reaches the terminal

        print(f"kodo: {visible(outcome.error or '')}", file=sys.stderr)
    return outcome.exit_code
