"""What a running command prints, passed on as ``command_output`` events while it prints it, so
people watch long work happen. The tool result still carries the (capped) output for the model;
these events are for the screen and ``--json`` readers only.

Output is decoded incrementally (a character split across two reads stays whole) and passed
on at most every ``INTERVAL_S``; of what piled up in between only the last ``MAX_EVENT_CHARS``
are kept, from a line start. A command flooding gigabytes so costs a few small events a second,
and the rolling tail people see is the same.
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Callable

from kodo.events import CommandOutput, Event

MAX_EVENT_CHARS = 4096
INTERVAL_S = 0.1


class LiveOutput:
    """An ``OutputSink`` (empty chunks are the executor's quiet ticks); ``flush`` at the end."""

    def __init__(self, emit: Callable[[Event], None], call_id: str) -> None:
        self._emit = emit
        self._call_id = call_id
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._sent_at = 0.0

    def __call__(self, data: bytes) -> None:
        if data:
            self._pending = _last_lines(self._pending + self._decoder.decode(data))
        if self._pending and time.monotonic() - self._sent_at >= INTERVAL_S:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            text, self._pending = self._pending, ""
            self._sent_at = time.monotonic()
            self._emit(CommandOutput(call_id=self._call_id, text=text))


def _last_lines(text: str) -> str:
    """``text``, or its end from the first line start within the last MAX_EVENT_CHARS; the
    leading newline ends whatever partial line was shown before."""
    if len(text) <= MAX_EVENT_CHARS:
        return text
    tail = text[-MAX_EVENT_CHARS:]
    start = tail.find("\n")
    return "\n" + (tail[start + 1 :] if start >= 0 else tail)
