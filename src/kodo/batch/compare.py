"""``kodo eval compare RUN_A RUN_B``: what changed between two runs of the same suite."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path

from kodo.batch.report import count, duration, money, percent
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


def _names(run_a: Path, run_b: Path) -> tuple[str, str]:
    """The runs' folder names, or their paths when the names alone do not tell them apart."""
    if run_a.name != run_b.name:
        return run_a.name, run_b.name
    return str(run_a), str(run_b)


def _models(rs: Sequence[TaskResult]) -> str:
    return ", ".join(sorted({r.model or "unknown" for r in rs}))


def _total_cost(rs: Sequence[TaskResult]) -> float | None:
    costs = [r.cost_usd for r in rs if r.cost_usd is not None]
    return sum(costs) if costs else None


def _median_cost(rs: Sequence[TaskResult]) -> float | None:
    costs = [r.cost_usd for r in rs if r.cost_usd is not None]
    return statistics.median(costs) if costs else None


def compare_runs(run_a: Path, run_b: Path) -> str:
    """A markdown summary: pass rates, medians, tokens and cost, and every task whose verdict
    differs, with each run named by its folder."""
    a, b = _load(run_a), _load(run_b)
    shared = sorted(a.keys() & b.keys())
    if not shared:
        raise CompareError(f"{run_a} and {run_b} have no task in common")
    ra, rb = [a[i] for i in shared], [b[i] for i in shared]
    pa, pb = sum(r.ok for r in ra), sum(r.ok for r in rb)
    na, nb = _names(run_a, run_b)
    n = len(shared)

    def row(what: str, left: str, right: str) -> str:
        return f"| {what} | {left} | {right} |"

    lines = [
        f"# {na} vs {nb} ({n} shared tasks)",
        "",
        row("run", na, nb),
        "|---|---|---|",
        row("model", _models(ra), _models(rb)),
        row("passed", f"{pa}/{n} ({percent(pa / n)})", f"{pb}/{n} ({percent(pb / n)})"),
        row("median time", duration(_median(ra, "wall_s")), duration(_median(rb, "wall_s"))),
        row("median turns", f"{_median(ra, 'turns'):g}", f"{_median(rb, 'turns'):g}"),
        row(
            "total tokens",
            count(sum(r.input_tokens + r.output_tokens for r in ra)),
            count(sum(r.input_tokens + r.output_tokens for r in rb)),
        ),
        row("total cost", money(_total_cost(ra)), money(_total_cost(rb))),
        row("median cost per task", money(_median_cost(ra)), money(_median_cost(rb))),
    ]
    changed = [(i, a[i].ok, b[i].ok) for i in shared if a[i].ok != b[i].ok]
    lines += ["", row("task", na, nb), "|---|---|---|"] if changed else ["", "No verdict changed."]
    for task_id, ok_a, ok_b in changed:
        lines.append(row(task_id, "pass" if ok_a else "fail", "pass" if ok_b else "fail"))
    only = sorted(a.keys() ^ b.keys())
    if only:
        lines += ["", f"Not in both runs: {', '.join(only)}"]
    return "\n".join(lines) + "\n"
