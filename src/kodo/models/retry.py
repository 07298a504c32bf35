"""The one retry policy: exponential backoff with jitter around a model stream.

A retryable error can come after part of the answer was already yielded (the stream broke off);
the consumer then gets a ``Restart`` marker and drops what it has, because the next attempt
starts the answer over.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

from kodo.models.base import Message, Model, ModelError, StreamItem, ToolSpec
from kodo.models.cancel import Cancelled, until_cancelled

BASE_DELAY_ENV = "KODO_RETRY_BASE_DELAY"
DEFAULT_BASE_DELAY_S = 1.0
MAX_DELAY_S = 60.0
MAX_RETRY_AFTER_S = 300.0  # a server's own Retry-After is followed up to this long
QUICK_RETRIES = 1  # for a server that cannot be reached at all (refused, no such host)


@dataclass
class Restart:
    """The answer streamed so far is void; attempt ``attempt`` starts it again."""

    attempt: int
    reason: str


def base_delay() -> float:
    raw = os.environ.get(BASE_DELAY_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_BASE_DELAY_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ModelError(
            f"{BASE_DELAY_ENV}={raw!r} is not a number of seconds >= 0: fix or unset it"
        )
    return value


def backoff(attempt: int, base_s: float, retry_after: float | None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based)."""
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER_S)
    ceiling = min(MAX_DELAY_S, base_s * 2 ** (attempt - 1))
    return ceiling * random.uniform(0.5, 1.0)


def stream_with_retry(
    model: Model,
    messages: list[Message],
    tools: list[ToolSpec],
    *,
    max_retries: int,
    on_retry: Callable[[int, float, str], None],
    sleep: Callable[[float], None] = time.sleep,
    cancel: threading.Event | None = None,
) -> Generator[StreamItem | Restart, None, None]:
    """``cancel`` set: raises ``Cancelled`` at once, during a silent stream or a backoff
    included. Only the model's own stream is read on a helper thread; ``on_retry`` is called
    on the caller's, so the events it emits keep their order."""
    base_s = base_delay()
    attempt = 0
    while True:
        yielded = False
        try:
            items = model.stream(messages, tools)
            for item in items if cancel is None else until_cancelled(items, cancel):
                yielded = True
                yield item
            return
        except ModelError as exc:
            if not exc.retryable:
                raise
            if attempt >= (min(max_retries, QUICK_RETRIES) if exc.quick else max_retries):
                tries = "1 attempt" if attempt == 0 else f"{attempt + 1} attempts"
                raise ModelError(
                    f"{exc} (gave up after {tries})",
                    retryable=exc.retryable,
                    retry_after=exc.retry_after,
                    status=exc.status,
                    quick=exc.quick,
                ) from exc
            attempt += 1
            delay = backoff(1 if exc.quick else attempt, base_s, exc.retry_after)
            reason = str(exc)
            on_retry(attempt, delay, reason)
            if yielded:
                yield Restart(attempt, reason)
            if cancel is None:
                sleep(delay)
            elif cancel.wait(delay):
                raise Cancelled from None
