"""A readable, coloured rendering of the event stream for ``kodo exec``.

rich honours NO_COLOR and drops styling when the output is not a terminal, so the same renderer
serves people and pipes. Text from the model, commands and files goes through ``safe_text``.
"""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING

from kodo.events import (
    AssistantMessage,
    Compacted,
    Error,
    Event,
    PlanUpdated,
    Retry,
    SessionCompleted,
    SessionStarted,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from kodo.ui.safe_text import markup_safe, visible

if TYPE_CHECKING:
    from rich.console import Console

PLAN_MARKS = {"completed": "[green]✔[/]", "in_progress": "[yellow]▶[/]", "pending": "[dim]□[/]"}
OUTPUT_TAIL_LINES = 6


def describe_call(name: str, arguments: str) -> str:
    """One line saying what a tool call does, for people, control characters made visible."""
    return visible(_describe_call(name, arguments))


def _describe_call(name: str, arguments: str) -> str:
    try:
        args = json.loads(arguments)
    except json.JSONDecodeError:
        return f"{name} (malformed arguments)"
    if not isinstance(args, dict):
        return name
    if name in ("shell", "bash"):
        command = args.get("command")
        text = command if isinstance(command, str) else shlex.join(map(str, command or []))
        return f"$ {text}" + ("  (background)" if args.get("background") else "")
    if name in ("read_file", "list_dir"):
        return f"{name} {args.get('path', '.')}"
    if name == "search":
        return f"search {args.get('pattern', '')!r} in {args.get('path', '.')}"
    if name == "apply_patch":
        return "apply_patch"
    if name == "write_file":
        return f"write_file {args.get('path', '')}"
    return f"{name} {arguments[:80]}"


def command_output_lines(output: str) -> list[str]:
    """The non-blank lines a command printed, without the shell tool's exit-code header."""
    _, sep, body = output.partition("\noutput:\n")
    return [line for line in (body if sep else "").splitlines() if line.strip()]


class ConsoleRenderer:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.usage: Usage | None = None

    def __call__(self, event: Event) -> None:
        c = self.console
        if isinstance(event, SessionStarted):
            about = (
                f"{event.provider} · {event.model} · {event.cwd} · session {event.session_id[:8]}"
            )
            c.print(f"[bold]kodo[/] [dim]{markup_safe(about)}[/]")
        elif isinstance(event, AssistantMessage) and event.text.strip():
            from rich.markdown import Markdown

            c.print(Markdown(visible(event.text)))
        elif isinstance(event, ToolCall) and event.name != "update_plan":
            line = describe_call(event.name, event.arguments)
            c.print(line, style="cyan", highlight=False, markup=False)
        elif isinstance(event, ToolResult):
            self._tool_result(event)
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
        elif isinstance(event, Compacted):
            c.print("[dim]conversation compacted[/]")
        elif isinstance(event, Usage):
            self.usage = event
        elif isinstance(event, SessionCompleted):
            self._completed(event)

    def _tool_result(self, event: ToolResult) -> None:
        c = self.console
        meta = event.metadata
        if event.ok and meta.get("diff"):
            from rich.syntax import Syntax

            diff = visible(meta["diff"])
            c.print(Syntax(diff, "diff", theme="ansi_dark", background_color="default"))
            return
        if "exit_code" in meta:
            code = meta.get("exit_code")
            duration = meta.get("duration_s", 0.0)
            mark = "[green]✓[/]" if code == 0 else "[red]✗[/]"
            status = "timed out" if meta.get("timed_out") else f"exit {code}"
            c.print(f"  {mark} [dim]{status} · {duration:.2f}s[/]")
            for line in command_output_lines(event.output)[-OUTPUT_TAIL_LINES:]:
                c.print(f"    {visible(line)}", style="dim", highlight=False, markup=False)
            return
        if meta.get("background") and event.ok:
            c.print(f"  [green]▶[/] [dim]running in the background as {meta['process_id']}[/]")
            return
        if not event.ok:
            first = event.output.strip().splitlines()[0] if event.output.strip() else "failed"
            c.print(f"  [red]✗ {markup_safe(first)}[/]", highlight=False)

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
    """What the model claimed and what kodo saw, so "completed" is never taken on trust."""
    if event.status != "completed" or event.verified is None:
        return ""
    claim = "the model says it is done" if event.claimed_success else "no claim of success"
    seen = "a check passed after the last change" if event.verified else "no passing check seen"
    return f" · {claim}; {seen}"


class JsonLinesPrinter:
    """``--json``: every event, one JSON object per line, flushed so consumers see it live."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def __call__(self, event: Event) -> None:
        self.stream.write(event.model_dump_json() + "\n")
        self.stream.flush()
