"""Waiting on a job without a model in the loop: poll the scheduler until the state changes, a
pattern shows in the logs, the time is up, or the person stops waiting (the job keeps going)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from kodo.jobs.backend import Backend
from kodo.jobs.model import JobStatus

WaitEnd = Literal["changed", "finished", "pattern", "timeout", "interrupted"]
PATTERN_TAIL_LINES = 200


@dataclass
class WaitResult:
    status: JobStatus
    end: WaitEnd
    matched: str | None = None  # the log line that matched the pattern

    def line(self) -> str:
        why = {
            "changed": "the state changed",
            "finished": "the job finished",
            "pattern": f"the pattern appeared: {self.matched}",
            "timeout": "the wait timed out; the job goes on",
            "interrupted": "the person stopped waiting; the job goes on",
        }[self.end]
        return f"{self.status.line()} ({why})"


def wait_for(
    backend: Backend,
    job_id: str,
    *,
    timeout_s: float,
    poll_s: float,
    until: Literal["change", "finish"] = "change",
    pattern: str | None = None,
    stop: threading.Event | None = None,
    on_status: Callable[[JobStatus], None] = lambda s: None,
) -> WaitResult:
    """Until the job finishes, or before that: its state changes (``until="change"``, when no
    pattern is given) or ``pattern`` shows in its logs. ``on_status`` sees every look at the
    job: the heartbeat of a long wait."""
    stop = stop or threading.Event()
    wanted = re.compile(pattern) if pattern else None
    deadline = time.monotonic() + timeout_s
    first: str | None = None
    while True:
        status = backend.status(job_id)
        on_status(status)
        if status.finished:
            return WaitResult(status, "finished")
        first = first or status.state
        if until == "change" and wanted is None and status.state != first:
            return WaitResult(status, "changed")
        if wanted is not None:
            for text in backend.logs(job_id, PATTERN_TAIL_LINES).values():
                hit = next((ln for ln in text.splitlines() if wanted.search(ln)), None)
                if hit is not None:
                    return WaitResult(status, "pattern", hit.strip()[:300])
        left = deadline - time.monotonic()
        if left <= 0:
            return WaitResult(status, "timeout")
        if stop.wait(min(poll_s, left)):
            return WaitResult(status, "interrupted")
