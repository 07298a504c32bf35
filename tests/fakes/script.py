"""What a scripted model answers, one entry per request, in order.

An entry is a ``Reply`` (text and tool calls, streamed), a ``Fault`` (an HTTP error), a
``CutStream`` (an answer that breaks off), or a callable that gets the request body and returns
one of those, so a test can look at what the model was sent before answering.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """A tool call; a ``str`` is sent as the arguments verbatim, so it can be malformed JSON."""

    name: str
    arguments: dict[str, Any] | str

    @property
    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Reply:
    """A streamed answer; ``cached_tokens`` of its input are reported as read from cache."""

    text: str = ""
    tool_calls: list[Call] = field(default_factory=list)
    cached_tokens: int = 0


@dataclass
class Fault:
    """An HTTP error answer with the provider's error body, and Retry-After when given."""

    status: int
    retry_after: float | None = None
    message: str = "scripted fault"


@dataclass
class CutStream:
    """A 200 stream that sends ``text`` and then drops the connection before the answer ends."""

    text: str


Answer = Reply | Fault | CutStream
Entry = Answer | Callable[[dict[str, Any]], Answer]


@dataclass
class Exhausted:
    """No entry was left for request number ``request``; served as HTTP 500."""

    request: int

    @property
    def message(self) -> str:
        return (
            f"scripted model: script exhausted (request {self.request} has no entry left); "
            "the test sent more requests than it scripted"
        )


class Script:
    """Hands out entries in arrival order; safe to use from the server's handler threads."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self._entries = list(entries)
        self._next = 0
        self._lock = threading.Lock()
        self.exhausted = False

    def next(self, request: dict[str, Any]) -> Answer | Exhausted:
        """The answer to ``request``; a callable entry runs outside the lock, since it may
        block while other requests are served."""
        with self._lock:
            index = self._next
            self._next += 1
            if index >= len(self._entries):
                self.exhausted = True
                return Exhausted(index + 1)
            entry = self._entries[index]
        return entry if isinstance(entry, Reply | Fault | CutStream) else entry(request)
