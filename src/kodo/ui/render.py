"""A readable, coloured rendering of the event stream for ``kodo exec``.

rich honours NO_COLOR and drops styling when the output is not a terminal, so the same renderer
serves people and pipes; for a pipe, lines are neither wrapped at 80 columns nor padded, and
markdown and diffs are printed as the text they are. On a terminal a live region at the bottom
shows a spinner while the model thinks and the running command's card with its latest output.
Text from the model, commands and files goes through ``safe_text``.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING

from kodo.events import (
    AssistantMessage,
    BackgroundDetail,
    CommandDetail,
    CommandOutput,
    Compacted,
    EditDetail,
    Error,
    Event,
    JobDetail,
    JobStatus,
    Notice,
    PlanUpdated,
    Retry,
    SessionCompleted,
    SessionStarted,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
    to_json,
)
from kodo.ui.region import LiveRegion
from kodo.ui.running import RunningCommand, clock
from kodo.ui.safe_text import markup_safe, visible

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.spinner import Spinner

PLAN_MARKS = {"completed": "[green]✔[/]", "in_progress": "[yellow]▶[/]", "pending": "[dim]□[/]"}
OUTPUT_TAIL_LINES = 6


def make_console() -> Console:
    """A console for stdout; when that is a pipe or a file, lines are not hard-wrapped."""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console.soft_wrap = True
    return console


def print_markdown(console: Console, text: str, *, marker: str | None = None) -> None:
    """The model's text: rendered markdown on a terminal (after ``marker``, when given), the
    text itself elsewhere, so a pipe gets no padding and no wrapping."""
    shown = visible(text.strip("\n"))
    if not console.is_terminal:
        prefix = f"{marker} " if marker else ""
        console.print(prefix + shown, markup=False, highlight=False, soft_wrap=True)
        return
    from rich.markdown import Markdown

    if marker is None:
        console.print(Markdown(shown))
        return
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=1, style="bold")
    grid.add_column()
    grid.add_row(marker, Markdown(shown))
    console.print(grid)


def print_diff(console: Console, diff: str) -> None:
    """A coloured diff whose long lines wrap on a terminal; the plain diff elsewhere."""
    shown = visible(diff.rstrip("\n"))
    if not console.is_terminal:
        console.print(shown, markup=False, highlight=False, soft_wrap=True)
        return
    from rich.syntax import Syntax

    console.print(
        Syntax(shown, "diff", theme="ansi_dark", background_color="default", word_wrap=True)
    )


def call_title(event: ToolCall | ToolResult) -> str:
    """The call's one line, as its tool described it, control characters made visible; "" when
    another event shows it; the tool's name in logs written before calls had titles."""
    return visible(event.name if event.title is None else event.title)


def command_status(detail: CommandDetail) -> str:
    """How a command ended, in a card's words."""
    if detail.timed_out:
        return "timed out"
    return detail.ended if detail.exit_code is None else f"exit {detail.exit_code}"


def job_line(event: JobStatus) -> str:
    """A job's state as the person sees it, one line per change."""
    return visible(f"◆ {event.cluster}: {event.detail or f'job {event.job_id}: {event.state}'}")


def job_waiting(event: JobStatus) -> list[str]:
    """The live card of a wait: what it waits for, then the job's last log lines."""
    head = f"waiting for job {event.job_id} on {event.cluster} ({event.state})"
    return [visible(head)] + [f"  │ {visible(line)[:200]}" for line in event.last_lines]


class ConsoleRenderer:
    """``live=True`` (a terminal, not ``--json``): a spinner with the elapsed time while the
    model thinks and the running command's card; ``stop`` ends it (the session's end does)."""

    def __init__(self, console: Console, *, live: bool = False) -> None:
        self.console = console
        self.usage: Usage | None = None
        self._live_wanted = live
        self._lock = threading.RLock()  # held by every print and redraw of the region
        self._live: LiveRegion | None = None
        self._spinner: Spinner | None = None
        self._running: RunningCommand | None = None
        self._job: JobStatus | None = None  # the wait in progress, for the live card
        self._since = time.monotonic()
        self.closed = False

    def __call__(self, event: Event) -> None:
        if self.closed:
            return
        try:
            with self._lock:  # one print at a time, never in the middle of a redraw
                self._show(event)
        except BrokenPipeError:
            self.closed = True
            self._live_wanted = False
            stop = output_closed()
            if not isinstance(event, SessionCompleted):  # the end needs no stopping
                raise stop from None

    def _show(self, event: Event) -> None:
        if self._live_wanted and self._live is None and not isinstance(event, SessionCompleted):
            self._start_live()
        if isinstance(event, ToolCall):
            self._since = time.monotonic()
            if event.streams:
                self._running = RunningCommand(event.call_id, None)
        elif isinstance(event, CommandOutput):
            if self._running is not None and self._running.call_id == event.call_id:
                self._running.feed(event.text)
            return
        elif isinstance(event, JobStatus):
            self._job = event
            if event.heartbeat:
                return
        elif isinstance(event, ToolResult | AssistantMessage):
            self._running = None
            self._job = None
            self._since = time.monotonic()
        elif isinstance(event, SessionCompleted):
            self.stop()
        self._print(event)

    def _start_live(self) -> None:
        from rich.spinner import Spinner

        self._spinner = Spinner("dots")
        self._since = time.monotonic()
        self._live = LiveRegion(self.console, self._view, self._lock, redirect=True)
        self._live.start()

    def stop(self) -> None:
        """Removes the live region; what was printed stays. Idempotent."""
        with self._lock:
            self._live_wanted = False
            if self._live is not None:
                self._live.stop()
                self._live = None

    def _view(self) -> RenderableType:
        from rich.spinner import Spinner

        spinner = self._spinner or Spinner("dots")
        running = self._running
        if running is not None:
            return running.view(spinner, "ctrl-c stops")  # its title is printed above
        elapsed = clock(time.monotonic() - self._since)
        if self._job is not None:
            from rich.console import Group

            head, *tail = job_waiting(self._job)
            spinner.update(text=f"[dim]{markup_safe(head)} · {elapsed} · ctrl-c stops[/]")
            return Group(spinner, *(markup_safe(line) for line in tail))
        spinner.update(text=f"[dim]thinking · {elapsed}[/]")
        return spinner

    def _print(self, event: Event) -> None:
        c = self.console
        if isinstance(event, SessionStarted):
            about = (
                f"{event.provider} · {event.model} · {event.cwd} · session {event.session_id[:8]}"
            )
            c.print(f"[bold]kodo[/] [dim]{markup_safe(about)}[/]")
        elif isinstance(event, AssistantMessage) and event.said.strip():
            print_markdown(c, event.said)
        elif isinstance(event, ToolCall) and event.title != "":  # "": its own event shows it
            c.print(call_title(event), style="cyan", highlight=False, markup=False)
        elif isinstance(event, ToolResult):
            self._tool_result(event)
        elif isinstance(event, JobStatus):
            c.print(job_line(event), style="magenta", highlight=False, markup=False)
        elif isinstance(event, UserMessage) and event.kind == "nudge":
            c.print(f"↻ {visible(event.text)}", style="dim", highlight=False, markup=False)
        elif isinstance(event, PlanUpdated):
            for step in event.steps:
                c.print(f"  {PLAN_MARKS[step.status]} {markup_safe(step.step)}", highlight=False)
        elif isinstance(event, Retry):
            c.print(
                f"[yellow]retrying in {event.delay_s:.1f}s (attempt {event.attempt}): "
                f"{markup_safe(event.reason)}[/]"
            )
        elif isinstance(event, Error):
            c.print(f"[bold red]error:[/] {markup_safe(event.message)}", highlight=False)
        elif isinstance(event, Notice):  # beside the answer, as every kodo message is
            print(f"kodo: {visible(event.text)}", file=sys.stderr, flush=True)
        elif isinstance(event, Compacted):
            c.print("[dim]conversation compacted[/]")
        elif isinstance(event, Usage):
            self.usage = event
        elif isinstance(event, SessionCompleted):
            self._completed(event)

    def _tool_result(self, event: ToolResult) -> None:
        c = self.console
        detail = event.detail
        if event.ok and isinstance(detail, EditDetail):
            print_diff(c, detail.diff)
            return
        if isinstance(detail, CommandDetail):
            mark = "[green]✓[/]" if detail.exit_code == 0 else "[red]✗[/]"
            status = markup_safe(command_status(detail))
            c.print(f"  {mark} [dim]{status} · {detail.duration_s:.2f}s[/]", highlight=False)
            for line in detail.tail[-OUTPUT_TAIL_LINES:]:
                c.print(f"    {visible(line)}", style="dim", highlight=False, markup=False)
            return
        if isinstance(detail, BackgroundDetail) and event.ok:
            shown = markup_safe(detail.process_id)
            c.print(f"  [green]▶[/] [dim]running in the background as {shown}[/]")
            return
        if not event.ok:
            first = event.output.strip().splitlines()[0] if event.output.strip() else "failed"
            c.print(f"  [red]✗ {markup_safe(first)}[/]", highlight=False)
            if isinstance(event.detail, JobDetail):  # a failed job comes back diagnosed
                for line in event.detail.verdict:
                    c.print(f"    {visible(line)}", style="dim", highlight=False, markup=False)

    def _completed(self, event: SessionCompleted) -> None:
        c = self.console
        tokens = ""
        if self.usage:
            u = self.usage
            tokens = f" · {u.total_input_tokens} in / {u.total_output_tokens} out tokens"
        style = "green" if event.status == "completed" else "red"
        c.print(f"[{style}]● {event.status}[/][dim]{verdict_note(event)}{tokens}[/]")
        if event.error and event.status != "error":
            c.print(f"[dim]{markup_safe(event.error)}[/]")


def verdict_note(event: SessionCompleted) -> str:
    """What the model claimed and what kodo saw, so "completed" is never taken on trust. With
    ``--done-when`` the measured condition is the check, and is said however the run ended."""
    judged = event.status == "completed" and event.verified is not None
    claim = "the model says it is done" if event.claimed_success else "no claim of success"
    check = "a check passed after the last change" if event.verified else "no passing check seen"
    parts = [claim] if judged else []
    if event.done_verdict is not None:
        parts.append(event.done_verdict)
    elif judged:
        parts.append(check)
    return f" · {'; '.join(parts)}" if parts else ""


class OutputClosed(KeyboardInterrupt):
    """Whoever read kodo's output went away (``kodo exec --json ... | head -1``): the run stops
    as an interrupted one would, its session file completed. A KeyboardInterrupt, so that no
    ``except Exception`` in a tool takes it for the tool's own failure."""


def output_closed() -> OutputClosed:
    """Points stdout at /dev/null, so nothing written later (Python's flush at exit included)
    fails again, and returns the exception that stops the run."""
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
    return OutputClosed("the output pipe was closed")


class JsonLinesPrinter:
    """``--json``: every event, one JSON object per line, flushed so consumers see it live."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.closed = False

    def __call__(self, event: Event) -> None:
        if self.closed:
            return
        try:
            self.stream.write(to_json(event) + "\n")
            self.stream.flush()
        except BrokenPipeError:
            self.closed = True
            stop = output_closed()
            if not isinstance(event, SessionCompleted):  # the end needs no stopping
                raise stop from None
