"""Tasks in parallel on this machine: a thread per slot, each driving its task's child processes."""

from __future__ import annotations

from collections.abc import Callable, Generator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from kodo.batch.procs import ProcessGroup, Stopped
from kodo.batch.results import TaskResult
from kodo.batch.runner import RunOptions, run_task
from kodo.batch.tasks import Task


def run_local(
    tasks: list[Task],
    out_dir: Path,
    opts: RunOptions,
    *,
    workers: int,
    on_start: Callable[[str], None],
) -> Generator[TaskResult, None, None]:
    """Yields results as tasks finish. Closing the iterator (or Ctrl-C while it waits) kills
    every running child and drops the unfinished tasks, which are then simply not recorded."""
    procs = ProcessGroup()

    def one(task: Task) -> TaskResult:
        if procs.stopping:
            raise Stopped
        on_start(task.id)
        try:
            return run_task(task, out_dir, opts, procs)
        except Stopped:
            raise
        except Exception as exc:  # a harness bug in one task must not end the batch
            error = f"{type(exc).__name__}: {exc}"
            return TaskResult(id=task.id, status="harness_error", error=error)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kodo-batch")
    pending: set[Future[TaskResult]] = {pool.submit(one, t) for t in tasks}
    try:
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
    finally:
        procs.stop()
        pool.shutdown(wait=True, cancel_futures=True)
