"""A batch: skip what finished before, run the rest on the chosen backend, record each result
the moment it arrives."""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from kodo.batch.local import run_local
from kodo.batch.progress import Display
from kodo.batch.results import ResultsLog, TaskResult, read_results
from kodo.batch.runner import RunOptions
from kodo.batch.tasks import Task


@dataclass
class BatchOutcome:
    results: list[TaskResult]  # this run's and earlier runs', one per task id
    ran: int
    skipped: int
    skipped_failed: list[str] = field(default_factory=list)  # failed before, not run again
    interrupted: bool = False
    wall_s: float = 0.0

    @property
    def all_ok(self) -> bool:
        return all(r.ok for r in self.results)


def run_batch(
    tasks: list[Task],
    out_dir: Path,
    opts: RunOptions,
    *,
    workers: int,
    ray_address: str | None = None,
    retry_failed: bool = False,
    display: Display | None = None,
) -> BatchOutcome:
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    earlier = {r.id: r for r in read_results(out_dir)}
    keep = {i: r for i, r in earlier.items() if not (retry_failed and not r.ok)}
    todo = [t for t in tasks if t.id not in keep]
    ids = {t.id for t in tasks}
    log = ResultsLog(out_dir)
    display = display or Display(len(tasks), skipped=len(tasks) - len(todo))
    outcome = BatchOutcome([r for i, r in keep.items() if i in ids], ran=0, skipped=len(keep))
    outcome.skipped_failed = sorted(r.id for r in outcome.results if not r.ok)
    started = time.monotonic()
    stop_ray = False
    with display:
        if ray_address is not None:
            from kodo.batch.ray_backend import connect, run_ray

            stop_ray = connect(ray_address, num_cpus=workers)
            stream = run_ray(todo, out_dir, opts, on_start=display.started)
        else:
            stream = run_local(todo, out_dir, opts, workers=workers, on_start=display.started)
        try:
            with closing(stream):
                for result in stream:
                    log.add(result)
                    outcome.results.append(result)
                    outcome.ran += 1
                    display.finished(result)
        except KeyboardInterrupt:
            outcome.interrupted = True
        finally:
            if stop_ray:
                import ray

                ray.shutdown()
    outcome.wall_s = time.monotonic() - started
    return outcome
