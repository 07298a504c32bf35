"""The live card of a command while it runs: its title, a rolling tail of what it printed and a
spinner with the time it has taken. Shared by ``kodo exec`` and the shell; both print the
finished card themselves once the tool result arrives.

Only the last ``KEEP_CHARS`` of output are held, so a flood costs no memory. A carriage return
redraws its line here (progress bars show their latest state) and every line goes through
``visible`` on its way to the terminal.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from kodo.ui.safe_text import markup_safe, visible

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.spinner import Spinner

KEEP_CHARS = 16_000
TAIL_LINES = 6


def clock(seconds: float) -> str:
    """``42s``, ``3m 05s``: elapsed time for people."""
    whole = int(seconds)
    return f"{whole}s" if whole < 60 else f"{whole // 60}m {whole % 60:02d}s"


def screen_lines(text: str) -> list[str]:
    """The non-blank lines a terminal would end up showing, control characters spelled out."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        shown = next((part for part in reversed(line.split("\r")) if part.strip()), "")
        if shown.strip():
            lines.append(visible(shown))
    return lines


class RunningCommand:
    def __init__(self, call_id: str, title: str | None) -> None:
        self.call_id = call_id
        self.title = title
        self.started = time.monotonic()
        self._text = ""

    def feed(self, text: str) -> None:
        self._text = (self._text + text)[-KEEP_CHARS:]

    def tail(self, count: int = TAIL_LINES) -> list[str]:
        return screen_lines(self._text)[-count:]

    def view(self, spinner: Spinner, status: str) -> RenderableType:
        """The card as it stands: title (unless None), last lines (cut at the width, never
        wrapped), then ``spinner`` showing the elapsed time and ``status``."""
        from rich.console import Group
        from rich.text import Text

        parts: list[RenderableType] = []
        if self.title is not None:
            parts.append(Text(visible(self.title), style="cyan", no_wrap=True, overflow="ellipsis"))
        for line in self.tail():
            parts.append(Text(f"  │ {line}", style="dim", no_wrap=True, overflow="ellipsis"))
        elapsed = clock(time.monotonic() - self.started)
        spinner.update(text=f"[dim]running · {elapsed} · {markup_safe(status)}[/]")
        parts.append(spinner)
        return Group(*parts)
