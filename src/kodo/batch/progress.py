"""What a person watching a batch sees: a live bar on a terminal, one line per task otherwise."""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

from kodo.batch.results import TaskResult

_TESTS = {None: "", True: " tests passed", False: " tests FAILED"}


class Display:
    def __init__(self, total: int, skipped: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total, self.skipped = total, skipped
        self.running: set[str] = set()
        self.done = self.failed = 0
        self._lock = threading.Lock()
        self._live: Any = None
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Display:
        if self.skipped:
            print(f"kodo batch: {self.skipped} task(s) already finished, skipped", file=self.stream)
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]batch"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self._task = self._bar.add_task("batch", total=self.total, counts=self._counts())
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def _counts(self) -> str:
        return f"done {self.done}  failed {self.failed}  running {len(self.running)}"

    def started(self, task_id: str) -> None:
        with self._lock:
            self.running.add(task_id)
            self._refresh(advance=0)

    def finished(self, result: TaskResult) -> None:
        with self._lock:
            self.running.discard(result.id)
            if result.ok:
                self.done += 1
            else:
                self.failed += 1
            self._refresh(advance=1)
            if self._bar is None:
                tests = _TESTS[result.tests_passed]
                note = f" ({result.error})" if result.error and not result.ok else ""
                done = f", {result.done_verdict}" if result.done_verdict else ""
                print(
                    f"[{self.done + self.failed}/{self.total}] {result.id}: {result.status}"
                    f"{tests}{done} in {result.wall_s:.1f}s{note}",
                    file=self.stream,
                )
            else:
                self._bar.console.print(f"{result.id}: {result.status}", highlight=False)

    def _refresh(self, advance: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=advance, counts=self._counts())
