"""The shell's view of the event stream: streamed markdown, command cards, coloured diffs, a plan
checklist and a spinner that update in place, and a status line of tokens and cost.

Events arrive on the agent's worker thread; rich's Live keeps one redrawn region at the bottom
while finished output is printed above it. Without a terminal, Live draws nothing and only the
finished output is printed, as plain text. Text from the model, commands and files goes through
``safe_text`` on its way to the terminal.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from kodo.config import cost_of
from kodo.events import (
    AssistantMessage,
    CommandDetail,
    CommandOutput,
    Compacted,
    EditDetail,
    Error,
    Event,
    JobDetail,
    JobStatus,
    Notice,
    PlanStep,
    PlanUpdated,
    Retry,
    SessionStarted,
    TextDelta,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from kodo.ui.region import LiveRegion
from kodo.ui.render import (
    PLAN_MARKS,
    call_title,
    command_status,
    job_line,
    job_waiting,
    print_diff,
    print_markdown,
)
from kodo.ui.running import RunningCommand, clock
from kodo.ui.safe_text import markup_safe, visible

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.spinner import Spinner

CARD_TAIL_LINES = 4
STREAM_TAIL_LINES = 12


class ShellRenderer:
    def __init__(self, console: Console, prices: dict[str, dict[str, float]], model: str) -> None:
        self.console = console
        self.prices = prices
        self.model = model
        self.tokens_in = 0
        self.tokens_out = 0
        self.last_output: str | None = None
        self._stream: list[str] = []
        self._plan: list[PlanStep] = []
        self._plan_changed = False
        self._activity = "thinking"
        self._started = time.monotonic()
        self._since = self._started  # when the current activity began
        self._lock = threading.RLock()  # held by every print and redraw of the region
        self._live: LiveRegion | None = None
        self._spinner: Spinner | None = None  # one instance, so its frames advance
        self._running: RunningCommand | None = None
        self._job: JobStatus | None = None  # a job tool's wait in progress

    # -- turn lifecycle (main thread) --

    def begin_turn(self) -> None:
        from rich.spinner import Spinner

        with self._lock:
            self._stream.clear()
            self._plan_changed = False
            self._running = None
            self._set_activity("thinking")
            self._started = self._since
            self._spinner = Spinner("dots")
            self._start_live()

    def _start_live(self) -> None:
        self._live = LiveRegion(self.console, self._view, self._lock)
        self._live.start()

    def pause(self) -> None:
        if self._live is not None:
            self._live.stop()

    def resume(self) -> None:
        """A fresh live region: restarted, the old one would first erase as many lines as it
        last drew, which now hold the approval question and its answer."""
        with self._lock:
            if self._live is not None:
                if self._running is not None:
                    self._running.started = time.monotonic()  # the command starts once allowed
                self._start_live()

    def end_turn(self, note: str | None = None) -> None:
        with self._lock:
            if self._live is not None:
                self._live.stop()
                self._live = None
            if self._stream:
                self._markdown("".join(self._stream))
                self._stream.clear()
            if self._plan_changed:
                self._print_plan()
            if note:
                self.console.print(f"[yellow]{note}[/]", highlight=False)
            elapsed = time.monotonic() - self._started
            self.console.print()
            self.console.print(f"[dim]{self.status_line()} · {elapsed:.1f}s[/]", highlight=False)

    def cost_text(self) -> str:
        """The money spent so far, or why it is not known."""
        cost = cost_of(self.prices, self.model, self.tokens_in, self.tokens_out)
        if cost is None:
            return f'no price set for {self.model} ([prices."{self.model}"] in config)'
        return f"${cost:.4f}"

    def status_line(self) -> str:
        cost = cost_of(self.prices, self.model, self.tokens_in, self.tokens_out)
        money = f" · ${cost:.4f}" if cost is not None else ""
        return f"{self.tokens_in:,} in / {self.tokens_out:,} out tokens{money}"

    def _set_activity(self, activity: str) -> None:
        self._activity = activity
        self._since = time.monotonic()

    # -- events (worker thread) --

    def __call__(self, event: Event) -> None:
        with self._lock:  # one print at a time, never in the middle of a redraw
            self._show(event)

    def _show(self, event: Event) -> None:
        from rich.text import Text

        c = self.console
        if isinstance(event, SessionStarted) and not event.resumed_from:
            # The banner already named the model and the directory.
            c.print(f"[dim]session {event.session_id[:8]}[/]", highlight=False)
        elif isinstance(event, UserMessage) and event.kind == "prompt" and self._live is None:
            c.print()
            c.print(Text.assemble(("› ", "bold"), visible(event.text)), highlight=False)
        elif isinstance(event, UserMessage) and event.kind == "nudge":
            c.print(Text(f"↻ {visible(event.text)}", style="dim"), highlight=False)
        elif isinstance(event, TextDelta):
            self._stream.append(event.text)
        elif isinstance(event, AssistantMessage):
            self._stream.clear()
            if event.said.strip():
                self._markdown(event.said)
            self._set_activity("thinking")
        elif isinstance(event, ToolCall):
            self._set_activity(call_title(event) or event.name)
            if event.streams:
                self._running = RunningCommand(event.call_id, self._activity)
        elif isinstance(event, CommandOutput):
            running = self._running
            if running is not None and running.call_id == event.call_id:
                running.feed(event.text)
        elif isinstance(event, JobStatus):
            self._job = event
            if not event.heartbeat:
                c.print(job_line(event), style="magenta", highlight=False, markup=False)
        elif isinstance(event, ToolResult):
            self._running = None
            self._job = None
            self._tool_result(event)
            self._set_activity("thinking")
        elif isinstance(event, PlanUpdated):
            self._plan = list(event.steps)
            self._plan_changed = True
            if self._live is None:
                self._print_plan()
        elif isinstance(event, Usage):
            self.tokens_in += event.input_tokens
            self.tokens_out += event.output_tokens
        elif isinstance(event, Retry):
            retry = f"retrying in {event.delay_s:.1f}s: {visible(event.reason)}"
            c.print(retry, style="yellow", markup=False)
        elif isinstance(event, Error):
            c.print(Text.assemble(("error: ", "bold red"), visible(event.message)), highlight=False)
        elif isinstance(event, Notice):
            c.print(f"kodo: {visible(event.text)}", style="yellow", markup=False)
        elif isinstance(event, Compacted):
            c.print(f"[dim]conversation compacted ({event.tokens_before:,} tokens before)[/]")

    # -- pieces --

    def _markdown(self, text: str) -> None:
        self.console.print()
        print_markdown(self.console, text, marker="●")

    def _print_plan(self) -> None:
        for step in self._plan:
            self.console.print(
                f"  {PLAN_MARKS[step.status]} {markup_safe(step.step)}", highlight=False
            )
        self._plan_changed = False

    def _tool_result(self, event: ToolResult) -> None:
        c = self.console
        title = call_title(event)
        if not title:  # its own event showed it (update_plan's plan)
            return
        detail = event.detail
        c.print()
        if event.ok and isinstance(detail, EditDetail):
            c.print(f"[bold]{markup_safe(title)}[/]", highlight=False)
            print_diff(c, detail.diff)
            return
        if isinstance(detail, CommandDetail):
            self._command_card(event, title, detail)
            return
        self.last_output = event.output
        mark = "[green]✓[/]" if event.ok else "[red]✗[/]"
        first = event.output.strip().splitlines()[0] if event.output.strip() else ""
        why = "" if event.ok else f" [red]{markup_safe(first[:120])}[/]"
        c.print(f"[cyan]{markup_safe(title)}[/] {mark}{why}", highlight=False)
        if isinstance(detail, JobDetail):  # a failed job comes back diagnosed
            for line in detail.verdict:
                c.print(f"  │ {visible(line)}", style="dim", highlight=False, markup=False)

    def _command_card(self, event: ToolResult, title: str, detail: CommandDetail) -> None:
        """Command, how it ended, duration and the last lines of output; /last shows it all."""
        c = self.console
        self.last_output = event.output
        c.print(f"[cyan]{markup_safe(title)}[/]", highlight=False)
        for line in detail.tail[-CARD_TAIL_LINES:]:
            c.print(f"  │ {visible(line)}", style="dim", highlight=False, markup=False)
        hidden = detail.lines - CARD_TAIL_LINES
        more = f" · {hidden} more lines (/last)" if hidden > 0 else ""
        mark = "[green]✓[/]" if detail.exit_code == 0 else "[red]✗[/]"
        status = markup_safe(command_status(detail))
        c.print(f"  {mark} [dim]{status} · {detail.duration_s:.2f}s{more}[/]", highlight=False)

    def _view(self) -> RenderableType:
        from rich.console import Group
        from rich.markdown import Markdown
        from rich.spinner import Spinner

        parts: list[Any] = []
        if self._stream:
            tail = "".join(self._stream).splitlines()[-STREAM_TAIL_LINES:]
            parts.append(Markdown(visible("\n".join(tail))))
        if self._plan_changed:
            for step in self._plan:
                parts.append(f"  {PLAN_MARKS[step.status]} {markup_safe(step.step)}")
        spinner = self._spinner or Spinner("dots")
        status = f"{self.status_line()} · esc to interrupt"
        running = self._running
        if running is not None:
            parts.append(running.view(spinner, status))
        else:
            elapsed = clock(time.monotonic() - self._since)
            activity, tail = self._activity[:100], []
            if self._job is not None:
                activity, *tail = job_waiting(self._job)
            text = f"{markup_safe(activity)} · {elapsed} · {markup_safe(status)}"
            spinner.update(text=f"[dim]{text}[/]")
            parts.append(spinner)
            parts += [markup_safe(line) for line in tail]
        return Group(*parts)
