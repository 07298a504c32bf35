"""``kodo batch TASKS.jsonl``: argument handling and the exit status; the work is in engine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kodo.batch.engine import BatchOutcome
    from kodo.batch.runner import RunOptions
    from kodo.batch.tasks import Task


EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def options_from(args: argparse.Namespace, *, reference: bool = False) -> RunOptions:
    from kodo.batch.runner import RunOptions, read_user_config
    from kodo.config import ConfigError, load_config

    try:
        config = load_config(Path.cwd())
        prices, default_model = config.prices, config.model
    except ConfigError:
        prices, default_model = {}, None
    return RunOptions(
        model=args.model,
        provider=args.provider,
        base_url=args.base_url,
        prices=prices,
        default_model=default_model,
        user_config=read_user_config(),
        reference=reference,
        keep_workspaces=args.keep_workspaces,
        exec_args=("--max-turns", str(args.max_turns)) if args.max_turns else (),
    )


def share_local_model(args: argparse.Namespace, tasks: list[Task]) -> str | None:
    """When a task will run on the embedded model, load it once, here, and point every task's
    ``kodo exec`` at it (``KODO_LOCAL_URL`` is inherited) instead of each worker loading its own
    copy. Returns a problem to report, or None."""
    import os

    from kodo.config import ConfigError, load_config
    from kodo.models.base import ModelError
    from kodo.models.local_server import LOCAL_URL_ENV, local_base_url
    from kodo.models.local_store import model_path

    if getattr(args, "reference", False) or os.environ.get(LOCAL_URL_ENV):
        return None
    try:
        config = load_config(Path.cwd(), flags={"provider": args.provider, "model": args.model})
    except ConfigError as exc:
        return str(exc)
    if not any((task.provider or config.provider) == "local" for task in tasks):
        return None
    try:
        os.environ[LOCAL_URL_ENV] = local_base_url(
            model_path(config.model), context=config.context_window, threads=config.local_threads
        )
    except ModelError as exc:
        return str(exc)
    return None


def report_problems(prog: str, exc: Exception) -> None:
    """Every problem on a line of its own, after a line saying nothing ran."""
    lines = str(exc).splitlines()
    if len(lines) > 1:
        print(f"{prog}: nothing was run; fix these first:", file=sys.stderr)
    for line in lines:
        print(f"{prog}: {line}", file=sys.stderr)


def skip_note(prog: str, outcome: BatchOutcome) -> None:
    """Failures recorded by an earlier run stay as they were unless asked: say so."""
    failed = outcome.skipped_failed
    if failed:
        shown = ", ".join(failed[:10]) + (
            f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        )
        print(
            f"{prog}: {len(failed)} task(s) that failed in an earlier run were not run again "
            f"({shown}); add --retry-failed to run them again",
            file=sys.stderr,
        )


def check_workers(args: argparse.Namespace) -> str | None:
    if args.workers < 1:
        return f"--workers must be at least 1, not {args.workers}"
    return None


def run(args: argparse.Namespace) -> int:
    from kodo.batch.engine import run_batch
    from kodo.batch.ray_backend import RayUnavailable
    from kodo.batch.tasks import TaskFileError, load_tasks

    if problem := check_workers(args):
        print(f"kodo batch: {problem}", file=sys.stderr)
        return EXIT_USAGE
    tasks_file = Path(args.tasks)
    try:
        tasks = load_tasks(tasks_file)
    except TaskFileError as exc:
        report_problems("kodo batch", exc)
        return EXIT_USAGE
    if problem := share_local_model(args, tasks):
        print(f"kodo batch: {problem}", file=sys.stderr)
        return EXIT_FAILED
    out_dir = (
        Path(args.out)
        if args.out
        else tasks_file.with_suffix("").with_name(f"{tasks_file.stem}-results")
    )
    try:
        outcome = run_batch(
            tasks,
            out_dir,
            options_from(args),
            workers=args.workers,
            ray_address=args.ray,
            retry_failed=args.retry_failed,
        )
    except RayUnavailable as exc:
        print(f"kodo batch: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ok = sum(r.ok for r in outcome.results)
    skip_note("kodo batch", outcome)
    print(
        f"kodo batch: {ok}/{len(tasks)} ok, {len(outcome.results) - ok} failed, "
        f"{outcome.ran} run now, {outcome.skipped} from before; results in {out_dir}",
        file=sys.stderr,
    )
    if outcome.interrupted:
        print("kodo batch: interrupted; re-run with the same --out to continue", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0 if outcome.all_ok else EXIT_FAILED
