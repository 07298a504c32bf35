"""``results.jsonl``: one line per finished task, appended as each finishes, so an interrupted
batch keeps everything done so far and a re-run knows what to skip."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

TaskStatus = Literal[
    "completed",
    "error",
    "max_turns",
    "token_budget",
    "interrupted",
    "crashed",
    "setup_failed",
    "timeout",
    "harness_error",
]

RESULTS_FILE = "results.jsonl"


class TaskResult(BaseModel):
    id: str
    status: TaskStatus
    exit_code: int | None = None
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    wall_s: float = 0.0
    model: str | None = None
    tests_passed: bool | None = None  # None: the task has no test command
    done_met: bool | None = None  # None: the task has no done_when
    # the verdict with the value that decided it: "done-when val_acc >= 0.9: met (val_acc = 0.93)"
    done_verdict: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Done and verified: the agent completed, the tests (if any) pass and the measured
        condition (if any) was met."""
        return (
            self.status == "completed"
            and self.tests_passed is not False
            and self.done_met is not False
        )


class ResultsLog:
    """Appends results from any thread; each line is flushed before ``add`` returns."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / RESULTS_FILE
        self._lock = threading.Lock()
        if self.path.exists() and not self.path.read_bytes().endswith(b"\n"):
            with self.path.open("a", encoding="utf-8") as f:  # end a line torn by a kill
                f.write("\n")

    def add(self, result: TaskResult) -> None:
        line = result.model_dump_json() + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()


def read_results(out_dir: Path) -> list[TaskResult]:
    """The recorded results, last one winning per id; a torn last line (a kill mid-write) is
    ignored rather than fatal."""
    path = out_dir / RESULTS_FILE
    if not path.exists():
        return []
    by_id: dict[str, TaskResult] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            result = TaskResult.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError):
            continue
        by_id[result.id] = result
    return list(by_id.values())
