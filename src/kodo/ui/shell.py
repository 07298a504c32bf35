"""The interactive shell: ``kodo`` and ``kodo "prompt"``, ``kodo resume``.

The main thread owns the terminal: it reads prompts, answers approvals and watches for Ctrl-C
and Esc; each turn runs on a worker thread, so interrupting it never ends the session. An
interrupt sets the cancel event the session's parts were built with: the agent, its running
command and its tools stop on their own, and the turn ends as ``interrupted``. The
session's parts are assembled in the background while the first prompt is already showing,
which keeps start-up fast.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kodo.config import (
    Config,
    ConfigError,
    kodo_home,
    load_config,
    project_trust,
    untrusted_warning,
)
from kodo.trust import TrustStore, project_config_path
from kodo.ui.input import TypeAhead
from kodo.ui.safe_text import visible

if TYPE_CHECKING:
    from rich.console import Console

    from kodo.agent.loop import Agent, RunOutcome
    from kodo.agent.session import Session
    from kodo.ui.approvals import InlineApprover, PendingApproval
    from kodo.ui.checkpoints import Checkpoints
    from kodo.ui.live import ShellRenderer

EXIT_USAGE = 2
POLL_S = 0.05
ESC = b"\x1b"
CTRL_C = b"\x03"


def _running_prompt() -> Any:
    """The prompt_toolkit application reading a line right now, if any."""
    current = sys.modules.get("prompt_toolkit.application.current")
    app = current.get_app_or_none() if current is not None else None
    loop = getattr(app, "loop", None)
    running = app is not None and app.is_running and loop is not None and not loop.is_closed()
    return app if running else None


def _end_prompt(app: Any, code: int) -> None:
    if app.future is not None and not app.future.done():
        app.exit(exception=SystemExit(code))


class ShellError(Exception):
    """Something the person asked for that cannot be done; the message says why."""


@contextlib.contextmanager
def _watch_keys(enabled: bool, typeahead: TypeAhead) -> Iterator[Callable[[], bool]]:
    """While a turn runs: no echo, and Ctrl-C arrives as a key rather than as SIGINT to the
    whole foreground process group (which would also hit the sandbox kodo started). Yields a
    function that says whether Esc or Ctrl-C was pressed since it was last called; other keys
    go to ``typeahead``."""
    if not enabled:
        yield lambda: False
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~termios.ISIG
    termios.tcsetattr(fd, termios.TCSANOW, attrs)

    def pressed() -> bool:
        hit = False
        while select.select([fd], [], [], 0)[0]:
            data = os.read(fd, 1024)
            if not data:
                break
            if data == ESC or CTRL_C in data:
                hit = True
            else:
                typeahead.feed(data)
        return hit

    try:
        yield pressed
    finally:
        with contextlib.suppress(termios.error):  # a terminal that hung up keeps no modes
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def read_line(message: str, tty: bool) -> str:
    """One line from the person; raises EOFError at the end of input."""
    if not tty:
        sys.stdout.write(message)
        sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")
    from prompt_toolkit import prompt

    return prompt(message)


class Shell:
    def __init__(self, config: Config, cwd: Path, console: Console) -> None:
        from kodo.ui.approvals import InlineApprover
        from kodo.ui.live import ShellRenderer

        self.config = config
        self.cwd = cwd
        self.console = console
        self.tty = sys.stdin.isatty() and sys.stdout.isatty()
        self.cancel = threading.Event()  # set by Esc or Ctrl-C; cleared as each turn starts
        self.approver: InlineApprover = InlineApprover()
        self.typeahead = TypeAhead()
        self.jobs_report: str | None = None
        self.renderer: ShellRenderer = ShellRenderer(console, config.prices, config.model)
        self.session: Session | None = None
        self.checkpoints: Checkpoints | None = None
        self.last_outcome: RunOutcome | None = None
        self._opening: threading.Thread | None = None
        self._opened: Session | None = None
        self._open_error: str | None = None
        self._prompt: Any = None
        self._ended: int | None = None  # the exit status a signal asked for

    # -- session lifecycle --

    def open_in_background(self, resume: str | None = None) -> None:
        def work() -> None:
            from kodo.agent.session import SessionSetupError, open_session

            try:
                self._opened = open_session(
                    self.config, self.cwd, resume=resume, show=self.renderer
                )
            except SessionSetupError as exc:
                self._open_error = str(exc)
            except Exception as exc:  # a bug while assembling: say so, keep the shell
                self._open_error = f"could not start the session: {type(exc).__name__}: {exc}"

        self._opening = threading.Thread(target=work, name="kodo-open", daemon=True)
        self._opening.start()

    def agent(self) -> Agent:
        """The started session's agent; waits for the background assembly the first time."""
        if self.session is not None and self.session.agent is not None:
            return self.session.agent
        if self._opened is None:
            if self._opening is None:
                self.open_in_background()
            assert self._opening is not None
            self._opening.join()
            self._opening = None
        if self._opened is None:
            error, self._open_error = self._open_error, None
            raise ShellError(error or "the session could not be started")
        session, self._opened = self._opened, None
        try:
            agent = self._arm(session)
        except Exception as exc:  # e.g. an MCP server that cannot start: keep the shell
            from kodo.agent.loop import RunOutcome

            message = f"could not start the session: {type(exc).__name__}: {exc}"
            session.close(RunOutcome("error", error=message))
            raise ShellError(message) from exc
        self.session = session
        return agent

    def _arm(self, session: Session) -> Agent:
        return session.start(approver=self.approver, cancel=self.cancel)

    def close_session(self, *, interrupted: bool = False) -> None:
        from kodo.agent.loop import RunOutcome

        with contextlib.suppress(OSError):  # a terminal that hung up can no longer be drawn on
            self.renderer.pause()
        if self._opening is not None:
            self._opening.join()
            self._opening = None
        if self._opened is not None:
            self._opened.close(RunOutcome("completed"))
            self._opened = None
        if self.session is not None:
            last = self.last_outcome
            final = last.final_message if last else None
            if interrupted:
                self.session.close(RunOutcome("interrupted", final, error="kodo was stopped"))
            else:
                self.session.close(RunOutcome("completed", final_message=final))
            self.session = None
        if self.checkpoints is not None:
            self.checkpoints.close()
            self.checkpoints = None
        self.last_outcome = None

    def replay(self, path: Path) -> None:
        """Shows a recorded session's conversation, as it looked, before it continues."""
        from kodo.events import SessionCompleted
        from kodo.session.store import read_events

        for event in read_events(path):
            if not isinstance(event, SessionCompleted):
                self.renderer(event)
        self.console.rule("[dim]resumed[/]", style="dim")

    # -- turns --

    def run_turn(self, prompt: str) -> None:
        agent = self.agent()
        self._checkpoint()
        if self.jobs_report:  # a resumed session's jobs, told to the model with the next prompt
            prompt, self.jobs_report = f"{self.jobs_report}\n\n{prompt}", None
        self._run_job(lambda: agent.run(prompt))

    def _checkpoint(self) -> None:
        from kodo.ui.checkpoints import CheckpointError, checkpoints_for

        try:
            if self.checkpoints is None:
                self.checkpoints = checkpoints_for(self.cwd, exclude=[kodo_home()])
            self.checkpoints.take()
        except CheckpointError as exc:
            self.console.print(f"no checkpoint for /undo: {exc}", style="yellow", markup=False)

    def _run_job(self, job: Callable[[], Any]) -> Any:
        """Runs ``job`` on a worker thread; the main thread answers approvals and interrupts."""
        from kodo.events import Error
        from kodo.models.cancel import Cancelled

        result: dict[str, Any] = {}

        def work() -> None:
            try:
                result["value"] = job()
            except Cancelled:  # /compact's summary request, stopped
                result["interrupted"] = True
            except Exception as exc:  # nothing the model does may end the shell
                result["error"] = f"kodo failed: {type(exc).__name__}: {exc}"
                result["trace"] = traceback.format_exc()

        self.cancel.clear()
        worker = threading.Thread(target=work, name="kodo-turn", daemon=True)
        self.renderer.begin_turn()
        worker.start()
        self._wait(worker)
        interrupted = result.get("interrupted") or self.cancel.is_set()
        note = "⏹ interrupted: the session goes on, type your next prompt" if interrupted else None
        self.renderer.end_turn(note)
        if "error" in result:
            self.console.print(visible(result["error"]), style="bold red", markup=False)
        if self.session is not None:
            if "error" in result:  # the traceback goes to the session file, for a bug report
                self.session.record(Error(message=f"{result['error']}\n{result['trace']}"))
            if interrupted:
                self.session.record(Error(message="turn interrupted by the user"))
            self.session.conversation.close_open_calls()
        value = result.get("value")
        if value is not None and hasattr(value, "status") and not interrupted:
            self.last_outcome = value
        return value

    def _wait(self, worker: threading.Thread) -> None:
        from kodo.ui.approvals import settle

        with _watch_keys(self.tty, self.typeahead) as interrupt_pressed:
            while worker.is_alive():
                try:
                    pending = self.approver.next_request(POLL_S)
                    if pending is not None and self.cancel.is_set():
                        settle(pending, ("no", None))
                    elif pending is not None:
                        self._answer(pending, interrupt_pressed)
                    if interrupt_pressed():
                        self._interrupt()
                except KeyboardInterrupt:
                    self._interrupt()

    def _interrupt(self) -> None:
        self.cancel.set()
        self.approver.refuse_all()

    def _answer(self, pending: PendingApproval, pressed: Callable[[], bool]) -> None:
        """Puts the question; on a terminal one key answers it. Keys typed before it showed
        were meant for the next prompt: they go to the type-ahead, not to the answer."""
        from kodo.ui.approvals import answer_from, choices, describe_request, heading, settle

        if pressed():
            settle(pending, ("no", None))
            self._interrupt()
            return
        self.renderer.pause()
        try:
            self.console.print(heading(pending.request), style="bold yellow", highlight=False)
            for line in describe_request(pending.request, self.config.sandbox_mode):
                self.console.print(line, highlight=False, markup=False)
            self.console.print(choices(pending.request), style="dim", highlight=False, markup=False)
            while True:
                choice = self._read_key("allow? [y/n/a/e] ") if self.tty else self.read("allow? ")
                answer = answer_from(choice, lambda: self.read("tell kodo why (it reads this) > "))
                if answer is not None:
                    break
                self.console.print("answer y, n, a or e", highlight=False)
        except (KeyboardInterrupt, EOFError):
            settle(pending, ("no", None))
            self._interrupt()
            return
        finally:
            self.renderer.resume()
        settle(pending, answer)

    # -- input --

    @staticmethod
    def _read_key(message: str) -> str:
        """One key press, no Enter needed (while a turn runs the terminal is in cbreak mode
        with Ctrl-C arriving as a key); an Enter out of habit is ignored, Esc or Ctrl-C raise
        KeyboardInterrupt."""
        sys.stdout.write(message)
        sys.stdout.flush()
        fd = sys.stdin.fileno()
        key = ""
        while not key:
            select.select([fd], [], [])
            data = os.read(fd, 64)
            if not data:
                raise EOFError
            if data == ESC or CTRL_C in data:
                sys.stdout.write("\n")
                raise KeyboardInterrupt
            key = data.decode(errors="ignore").strip("\r\n")[:1]
        sys.stdout.write((key if key.isprintable() else "") + "\n")
        sys.stdout.flush()
        return key

    def read(self, message: str) -> str:
        """One line from the person; raises EOFError at the end of input."""
        return read_line(message, self.tty)

    def _read_prompt(self, first: bool) -> str:
        if not self.tty:
            return self.read("› ")
        if self._prompt is None:
            from kodo.ui.input import make_prompt_session
            from kodo.ui.slash import command_names

            self._prompt = make_prompt_session(self.cwd, command_names())
        pre_run = self.open_in_background if first and self._needs_open() else None
        return self._prompt.prompt("› ", pre_run=pre_run, default=self.typeahead.take_partial())

    def _next_prompt(self, first: bool) -> str:
        """A line typed ahead during the last turn, shown as if just entered; else the prompt."""
        queued = self.typeahead.next_line()
        if queued is None:
            return self._read_prompt(first).strip()
        self.console.print(f"› {queued}", highlight=False, markup=False)
        return queued

    def _needs_open(self) -> bool:
        return self.session is None and self._opening is None and self._opened is None

    def loop(self, initial: str | None) -> int:
        """Prompts until Ctrl-D or /quit; the session is closed however the loop ends."""
        from kodo.ui.slash import dispatch

        previous = {sig: signal.signal(sig, self._end) for sig in (signal.SIGTERM, signal.SIGHUP)}
        ended = False
        try:
            first = True
            if initial:
                self.console.print(f"› {visible(initial)}", highlight=False, markup=False)
                self._safely(self.run_turn, initial)
                first = False
            while True:
                try:
                    text = self._next_prompt(first)
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    break
                if self._ended is not None:  # the signal came as the line was entered
                    raise SystemExit(self._ended)
                first = False
                if not text:
                    continue
                if text.startswith("/"):
                    if not self._safely(dispatch, self, text):
                        break
                else:
                    self._safely(self.run_turn, text)
            ended = True
            self._farewell()
        finally:
            self.close_session(interrupted=not ended)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _end(self, signum: int, frame: object) -> None:
        """SIGTERM or a closed terminal: unwind so the session is closed and its processes
        stop. At a prompt this runs inside prompt_toolkit's event loop, where an exception
        raised into whichever task was running can leave asyncio waiting forever for a task to
        cancel (a kodo outlived the terminal that closed on it): the prompt is asked to end
        instead, with the same exit."""
        self._ended = 128 + signum
        app = _running_prompt()
        if app is None:
            raise SystemExit(self._ended)
        app.loop.call_soon_threadsafe(_end_prompt, app, self._ended)

    def _farewell(self) -> None:
        """At Ctrl-D or /quit: what the session used, and how to come back to it."""
        from kodo.session.store import RolloutNotFound, find_rollout

        if self.session is None:
            return
        session_id = self.session.session_id
        short = session_id[:8]
        try:
            find_rollout(short)
        except RolloutNotFound:  # another session shares the prefix
            short = session_id
        self.console.print(f"[dim]{self.renderer.status_line()}[/]", highlight=False)
        self.console.print(f"resume this session with: kodo resume {short}", highlight=False)

    def _safely(self, action: Callable[..., Any], *args: Any) -> bool:
        """Runs one prompt or command; a failure is reported and the shell goes on. Returns
        False only when the action asked to quit."""
        try:
            return action(*args) is not False
        except ShellError as exc:
            self.console.print(visible(str(exc)), style="red", markup=False)
        except KeyboardInterrupt:
            self.console.print("[yellow]interrupted[/]")
        except Exception as exc:  # a bug in kodo: say so plainly, keep the session
            message = f"kodo failed: {type(exc).__name__}: {exc}"
            self.console.print(visible(message), style="bold red", markup=False)
        return True


def pick_session(console: Console, read: Callable[[str], str], *, limit: int = 10) -> str | None:
    """Lists recent sessions the model answered in and asks which to reopen; None when there
    are none or on cancel."""
    from datetime import datetime

    from kodo.session.store import recent_rollouts

    found = recent_rollouts(limit)
    if not found:
        console.print("no recorded sessions yet")
        return None
    for number, s in enumerate(found, 1):
        when = datetime.fromtimestamp(s.started).strftime("%Y-%m-%d %H:%M")
        prompt = s.first_prompt.splitlines()[0][:60] if s.first_prompt else ""
        console.print(
            visible(f"{number:>2}. {when}  {s.session_id[:8]}  {s.model}  {s.cwd}  {prompt}"),
            highlight=False,
            markup=False,
            soft_wrap=True,  # the terminal wraps a long line; the words stay whole
        )
    while True:
        try:
            choice = read(f"session to resume [1-{len(found)}, enter to cancel] > ").strip()
        except (EOFError, KeyboardInterrupt):
            return None
        if not choice:
            return None
        if choice.isdigit() and 1 <= int(choice) <= len(found):
            return found[int(choice) - 1].session_id
        console.print(f"type a number from 1 to {len(found)}", highlight=False)


def resume_into(shell: Shell, resume: str) -> None:
    """Reopens a recorded session in ``shell`` (ending the current one only once the other
    could be opened): shows its history, then continues it."""
    from kodo.agent.session import SessionSetupError, open_session
    from kodo.session.store import summarize

    try:
        session = open_session(shell.config, shell.cwd, resume=resume, show=shell.renderer)
    except SessionSetupError as exc:
        raise ShellError(str(exc)) from exc
    shell.close_session()
    shell.replay(session.rollout)
    recorded = summarize(session.rollout).cwd
    if recorded not in ("?", str(shell.cwd)):
        shell.console.print(
            f"recorded in {visible(recorded)}; continuing in {shell.cwd} (use -C to choose)",
            style="yellow",
            highlight=False,
            markup=False,
        )
    shell._opened = session
    if shell.config.clusters:
        from kodo.jobs.client import client_env
        from kodo.jobs.command import meanwhile

        config = shell.config
        report = meanwhile(session.rollout, config.clusters, client_env(config.api_key_env))
        if report:
            shell.console.print(visible(report), style="magenta", highlight=False, markup=False)
            shell.jobs_report = report


def _ask_trust(cwd: Path) -> None:
    """Once per session, before the config is read: an untrusted project config that wants to
    change security settings is shown, key by key, and applied only if the person says so."""
    project, trusted = project_trust(cwd)
    keys = [] if trusted else project.withheld()
    if not keys:
        return
    if not sys.stdin.isatty():
        print(untrusted_warning(cwd), file=sys.stderr)
        return
    print(
        f"{project_config_path(project.root)} wants to set: {', '.join(keys)}\n"
        "Settings like these can turn the sandbox or network on and off, start programs on "
        "this machine or send your API key elsewhere. Only trust a project you know."
    )
    try:
        answer = input("Trust this project and apply them? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() in ("y", "yes"):
        TrustStore(kodo_home()).trust(project)
    else:
        print("Ignored for this session (`kodo trust` applies them later).")


def _setup(args: argparse.Namespace, resume: str | None = None) -> tuple[Config, Path]:
    """Config and workspace; a session being resumed keeps its model unless flags say not."""
    cwd = Path(args.cd or ".").expanduser().resolve()
    if not cwd.is_dir():
        raise ShellError(f"--cd {args.cd}: not a directory")
    from kodo.session.resume import command_line_flags

    flags = command_line_flags(args, resume)
    try:
        _ask_trust(cwd)
        config = load_config(cwd, overrides=args.config, flags=flags, profile=args.profile)
    except ConfigError as exc:
        raise ShellError(str(exc)) from exc
    return config, cwd


def run(args: argparse.Namespace) -> int:
    """``kodo [PROMPT]``: an interactive session."""
    try:
        config, cwd = _setup(args)
    except ShellError as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from kodo.ui.render import make_console

    shell = Shell(config, cwd, make_console())
    shell.console.print(
        f"[bold]kodo[/] [dim]{config.provider} · {config.model} · {cwd}[/]\n"
        "[dim]/help for commands · @ completes paths · alt-enter for a new line · "
        "esc or ctrl-c interrupts · ctrl-d quits[/]",
        highlight=False,
    )
    initial = " ".join(args.prompt).strip() or None
    return shell.loop(initial)


def run_resume(args: argparse.Namespace) -> int:
    """``kodo resume [--last | ID]``: reopen a recorded session with its history shown."""
    from kodo.ui.render import make_console

    console = make_console()
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    target = "--last" if args.last else args.session
    target = target or pick_session(console, lambda message: read_line(message, tty))
    if target is None:
        return 0
    try:
        config, cwd = _setup(args, resume=target)
    except ShellError as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    shell = Shell(config, cwd, console)
    try:
        resume_into(shell, target)
    except ShellError as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return 1
    return shell.loop(None)
