"""``kodo eval SUITE`` and ``kodo eval compare RUN_A RUN_B``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kodo.batch.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    check_workers,
    options_from,
    report_problems,
    share_local_model,
    skip_note,
)

if TYPE_CHECKING:
    from kodo.batch.report import RunInfo


def run(args: argparse.Namespace) -> int:
    if args.target[0] == "compare":
        return _compare(args.target[1:])
    if len(args.target) != 1:
        print("kodo eval: give one SUITE directory, or: compare RUN_A RUN_B", file=sys.stderr)
        return EXIT_USAGE
    return _evaluate(args, Path(args.target[0]))


def _compare(runs: list[str]) -> int:
    from kodo.batch.compare import CompareError, compare_runs

    if len(runs) != 2:
        print("kodo eval compare: give two run directories", file=sys.stderr)
        return EXIT_USAGE
    try:
        print(compare_runs(Path(runs[0]), Path(runs[1])), end="")
    except CompareError as exc:
        print(f"kodo eval compare: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def run_info(args: argparse.Namespace) -> RunInfo:
    """The run-wide provider, model and server, as the tasks' ``kodo exec`` resolves them
    from the flags and the person's config (a task may still name its own)."""
    from kodo import __version__
    from kodo.batch.report import RunInfo
    from kodo.config import ConfigError, load_config

    date = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M UTC%z")
    if args.reference:
        return RunInfo(date=date, kodo_version=__version__, provider="reference")
    flags = {"provider": args.provider, "model": args.model, "base_url": args.base_url}
    try:
        config = load_config(Path.cwd(), flags=flags)
    except ConfigError:
        return RunInfo(date=date, kodo_version=__version__, **flags)
    return RunInfo(
        date=date,
        kodo_version=__version__,
        provider=config.provider,
        model=config.model,
        base_url=config.base_url,
    )


def _evaluate(args: argparse.Namespace, suite: Path) -> int:
    from kodo.batch.engine import run_batch
    from kodo.batch.ray_backend import RayUnavailable
    from kodo.batch.report import build_report, write_report
    from kodo.batch.suite import load_suite
    from kodo.batch.tasks import TaskFileError

    if problem := check_workers(args):
        print(f"kodo eval: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        tasks = load_suite(suite)
    except TaskFileError as exc:
        report_problems("kodo eval", exc)
        return EXIT_USAGE
    if problem := share_local_model(args, tasks):
        print(f"kodo eval: {problem}", file=sys.stderr)
        return EXIT_FAILED
    name = suite.resolve().name
    out_dir = Path(args.out or f"eval-runs/{name}-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        outcome = run_batch(
            tasks,
            out_dir,
            options_from(args, reference=args.reference),
            workers=args.workers,
            ray_address=args.ray,
            retry_failed=args.retry_failed,
        )
    except RayUnavailable as exc:
        print(f"kodo eval: {exc}", file=sys.stderr)
        return EXIT_USAGE
    skip_note("kodo eval", outcome)
    report = build_report(name, run_info(args), outcome.results, out_dir.resolve())
    paths = write_report(out_dir, report)
    print(
        f"kodo eval: {report.passed}/{report.tasks} passed ({report.pass_rate:.0%}); "
        f"report: {', '.join(str(p) for p in paths)}",
        file=sys.stderr,
    )
    if outcome.interrupted:
        return EXIT_INTERRUPTED
    return 0 if report.passed == report.tasks == len(tasks) else EXIT_FAILED
