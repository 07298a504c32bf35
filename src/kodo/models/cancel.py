"""Stopping a model stream the moment the person interrupts, even while the server is silent.

A blocked read cannot be interrupted from another thread, so the stream is read by a helper
thread and handed over through a queue; the consumer checks the cancel event while it waits and
gives up at once. An abandoned read ends whenever the server next sends or closes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar, cast

POLL_S = 0.05

T = TypeVar("T")


class Cancelled(BaseException):
    """The cancel event was set. A BaseException so that no ``except Exception`` on the way
    (a tool, the retry policy) mistakes it for an error to recover from."""


def until_cancelled(stream: Iterator[T], cancel: threading.Event) -> Generator[T, None, None]:
    """Yields ``stream``'s items; raises ``Cancelled`` as soon as ``cancel`` is set. When the
    consumer stops early without a cancel, the stream is closed before this returns, so the
    connection it holds is free for the next request."""
    if cancel.is_set():
        raise Cancelled
    items: queue.Queue[tuple[str, object]] = queue.Queue()
    stop = threading.Event()

    def pump() -> None:
        try:
            for item in stream:
                if stop.is_set():
                    break
                items.put(("item", item))
            else:
                items.put(("end", None))
        except BaseException as exc:
            items.put(("error", exc))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=pump, name="kodo-model-stream", daemon=True)
    reader.start()
    try:
        while True:
            try:
                kind, value = items.get(timeout=POLL_S)
            except queue.Empty:
                if cancel.is_set():
                    raise Cancelled from None
                continue
            if cancel.is_set():
                raise Cancelled
            if kind == "end":
                return
            if kind == "error":
                assert isinstance(value, BaseException)
                raise value
            yield cast(T, value)
    finally:
        stop.set()
        while reader.is_alive() and not cancel.is_set():
            reader.join(POLL_S)
