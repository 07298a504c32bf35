"""The states every backend maps its own words onto, and what one look at a job returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

State = Literal["pending", "running", "succeeded", "failed", "cancelled", "timeout", "unknown"]
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "timeout"})


class ClusterError(Exception):
    """A client is missing, the cluster cannot be reached, or it refused a request; the message
    says which and what to do."""


@dataclass
class JobStatus:
    job_id: str
    state: State
    raw_state: str = ""  # the scheduler's own word: NODE_FAIL, OUT_OF_MEMORY, BackoffLimitExceeded
    reason: str | None = None
    exit_code: int | None = None
    elapsed_s: float | None = None
    log_files: list[Path] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def failed(self) -> bool:
        """Ended badly in a way its logs may explain (a cancellation needs no diagnosis)."""
        return self.state in ("failed", "timeout")

    def line(self) -> str:
        """One line for the model and the person."""
        parts = [f"job {self.job_id}: {self.state}"]
        if self.raw_state and self.raw_state.lower() != self.state:
            parts.append(f"({self.raw_state})")
        if self.exit_code is not None and self.finished:
            parts.append(f"exit {self.exit_code}")
        if self.reason:
            parts.append(f"reason: {self.reason}")
        if self.elapsed_s is not None:
            parts.append(f"after {self.elapsed_s:.0f}s")
        return " ".join(parts)
