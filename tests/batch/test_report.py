"""Scoring and comparing runs from recorded results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kodo.batch.report import build_report, to_html, to_markdown
from kodo.batch.results import ResultsLog, TaskResult


def result(task_id: str, ok: bool, model: str = "m1", cost: float | None = 0.01) -> TaskResult:
    return TaskResult(
        id=task_id,
        status="completed",
        tests_passed=ok,
        model=model,
        turns=3,
        input_tokens=100,
        output_tokens=20,
        cost_usd=cost,
        wall_s=2.0,
    )


def test_report_scores_per_model() -> None:
    rep = build_report("s", [result("a", True), result("b", False), result("c", True, "m2")])
    assert (rep.passed, rep.tasks) == (2, 3)
    assert [(m.model, m.passed, m.tasks) for m in rep.by_model] == [("m1", 1, 2), ("m2", 1, 1)]
    assert rep.total_tokens == 360
    assert abs((rep.total_cost_usd or 0) - 0.03) < 1e-9
    md = to_markdown(rep)
    assert "| b | fail (tests) | 3 | 120 | $0.0100 | 2.0 |" in md
    page = to_html(rep)
    assert page.count("<svg") == 3 and "67%" in page


def record(run: Path, *results: TaskResult) -> Path:
    run.mkdir()
    log = ResultsLog(run)
    for r in results:
        log.add(r)
    return run


def test_compare_lists_changed_verdicts(tmp_path: Path) -> None:
    a = record(tmp_path / "A", result("x", True), result("y", False), result("only-a", True))
    b = record(tmp_path / "B", result("x", True), result("y", True))
    proc = subprocess.run(
        [sys.executable, "-m", "kodo", "eval", "compare", str(a), str(b)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| passed | 1/2 | 2/2 |" in proc.stdout
    assert "| y | fail | pass |" in proc.stdout
    assert "| x |" not in proc.stdout
    assert "Not in both runs: only-a" in proc.stdout


def test_compare_needs_results(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kodo", "eval", "compare", str(tmp_path), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "no results.jsonl" in proc.stderr
