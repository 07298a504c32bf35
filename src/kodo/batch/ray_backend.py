"""The same tasks as Ray tasks on a cluster. Workers run ``run_task`` in a scratch directory and
send the task's files back with its result, so the output directory need not be shared."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from kodo.batch.results import TaskResult
from kodo.batch.runner import RunOptions, model_for, run_task, task_dir
from kodo.batch.tasks import Task

LOCAL = "local"


class RayUnavailable(Exception):
    """Ray is not installed or the cluster cannot be reached; nothing has run yet."""


def _remote_body(task: Task, opts: RunOptions) -> tuple[TaskResult, dict[str, bytes]]:
    scratch = Path(tempfile.mkdtemp(prefix=f"kodo-batch-{task.id}-"))
    try:
        result = run_task(task, scratch, opts)
        root = task_dir(scratch, task.id)
        files = {
            str(p.relative_to(root)): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and p.relative_to(root).parts[0] not in ("workspace", "home")
        }
        return result, files
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _unpack(out_dir: Path, task_id: str, files: dict[str, bytes]) -> None:
    root = task_dir(out_dir, task_id)
    if root.exists():
        shutil.rmtree(root)
    for rel, data in files.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)


def _options(task: Task) -> dict[str, Any]:
    res = task.resources
    opts: dict[str, Any] = {"num_cpus": res.cpus, "num_gpus": res.gpus, "max_retries": 0}
    if res.memory_mb:
        opts["memory"] = res.memory_mb * 1024 * 1024
    return opts


def connect(address: str, *, num_cpus: int | None) -> bool:
    """Joins the cluster at ``address`` (``auto``: the one this node belongs to) or starts a
    private one for ``local``. Returns whether this call started Ray (so should stop it)."""
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable("--ray needs Ray: pip install 'kodo[ray]'") from exc
    if ray.is_initialized():
        return False
    try:
        if address == LOCAL:
            ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RayUnavailable(f"cannot use Ray at {address!r}: {exc}") from exc
    return True


def run_ray(
    tasks: list[Task],
    out_dir: Path,
    opts: RunOptions,
    *,
    on_start: Callable[[str], None],
) -> Generator[TaskResult, None, None]:
    """Submits every task and yields results as they arrive. A task whose worker dies is
    recorded as ``crashed``; closing the iterator cancels everything still in flight."""
    import ray
    from ray.exceptions import RayError

    body = ray.remote(_remote_body)
    refs: dict[Any, tuple[Task, float]] = {}
    for task in tasks:
        refs[body.options(**_options(task)).remote(task, opts)] = (task, time.monotonic())
        on_start(task.id)
    try:
        while refs:
            done, _ = ray.wait(list(refs), num_returns=1, timeout=0.5)
            for ref in done:
                task, submitted = refs.pop(ref)
                try:
                    result, files = ray.get(ref)
                except RayError as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    yield TaskResult(
                        id=task.id,
                        status="crashed",
                        model=model_for(task, opts),
                        wall_s=round(time.monotonic() - submitted, 3),  # queueing included
                        error=f"{type(exc).__name__}: {first}",
                    )
                    continue
                _unpack(out_dir, task.id, files)
                yield result
    finally:
        for ref in refs:
            ray.cancel(ref, force=True)
