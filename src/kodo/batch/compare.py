"""``kodo eval compare RUN_A RUN_B``: what changed between two runs of the same suite."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

from kodo.batch.results import TaskResult, read_results


class CompareError(Exception):
    pass


def _load(run: Path) -> dict[str, TaskResult]:
    results = read_results(run)
    if not results:
        raise CompareError(f"{run}: no results.jsonl with results")
    return {r.id: r for r in results}


def _median(rs: Sequence[TaskResult], attr: str) -> float:
    values = [float(getattr(r, attr)) for r in rs]
    return statistics.median(values) if values else 0.0


def compare_runs(run_a: Path, run_b: Path) -> str:
    """A markdown summary: pass rates, medians, and every task whose verdict differs."""
    a, b = _load(run_a), _load(run_b)
    shared = sorted(a.keys() & b.keys())
    if not shared:
        raise CompareError(f"{run_a} and {run_b} have no task in common")
    ra, rb = [a[i] for i in shared], [b[i] for i in shared]
    pa, pb = sum(r.ok for r in ra), sum(r.ok for r in rb)
    lines = [
        f"# {run_a.name} vs {run_b.name} ({len(shared)} shared tasks)",
        "",
        "| | A | B |",
        "|---|---|---|",
        f"| passed | {pa}/{len(shared)} | {pb}/{len(shared)} |",
        f"| median time (s) | {_median(ra, 'wall_s'):.1f} | {_median(rb, 'wall_s'):.1f} |",
        f"| median turns | {_median(ra, 'turns'):g} | {_median(rb, 'turns'):g} |",
        f"| total tokens | {sum(r.input_tokens + r.output_tokens for r in ra)} "
        f"| {sum(r.input_tokens + r.output_tokens for r in rb)} |",
    ]
    changed = [(i, a[i].ok, b[i].ok) for i in shared if a[i].ok != b[i].ok]
    lines += ["", "| task | A | B |", "|---|---|---|"] if changed else ["", "No verdict changed."]
    for task_id, ok_a, ok_b in changed:
        lines.append(f"| {task_id} | {'pass' if ok_a else 'fail'} | {'pass' if ok_b else 'fail'} |")
    only = sorted(a.keys() ^ b.keys())
    if only:
        lines += ["", f"Not in both runs: {', '.join(only)}"]
    return "\n".join(lines) + "\n"
