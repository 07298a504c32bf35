"""Scoring and comparing runs from recorded results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kodo.batch.report import (
    RunInfo,
    build_report,
    duration,
    money,
    nice_step,
    to_html,
    to_markdown,
)
from kodo.batch.results import ResultsLog, TaskResult

RUN = RunInfo(
    date="2026-12-01 14:03 UTC+0100",
    kodo_version="0.1.0",
    provider="openai-chat",
    model="qwen-32b",
    base_url="http://127.0.0.1:8000/v1",
)
PYTEST_FAILURE = """\
F.                                                                       [100%]
=================================== FAILURES ===================================
___________________________ test_hidden_total ___________________________
E       assert 41 == 42
=========================== short test summary info ============================
FAILED test_hidden_sum.py::test_hidden_total - assert 41 == 42
========================= 1 failed, 1 passed in 0.03s =========================
"""


def result(
    task_id: str,
    ok: bool,
    model: str = "m1",
    cost: float | None = 0.01,
    wall_s: float = 2.0,
    tokens: int = 120,
) -> TaskResult:
    return TaskResult(
        id=task_id,
        status="completed",
        tests_passed=ok,
        model=model,
        turns=3,
        input_tokens=tokens - 20,
        output_tokens=20,
        cost_usd=cost,
        wall_s=wall_s,
    )


def task_files(out: Path, task_id: str, **files: str) -> None:
    folder = out / "tasks" / task_id
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)


def test_report_scores_per_model(tmp_path: Path) -> None:
    rep = build_report(
        "s", RUN, [result("a", True), result("b", False), result("c", True, "m2")], tmp_path
    )
    assert (rep.passed, rep.tasks) == (2, 3)
    assert [(m.model, m.passed, m.tasks) for m in rep.by_model] == [("m1", 1, 2), ("m2", 1, 1)]
    assert rep.total_tokens == 360
    assert abs((rep.total_cost_usd or 0) - 0.03) < 1e-9
    md = to_markdown(rep)
    assert "| b | fail (tests) | 3 | 120 | $0.010 | 2 s |" in md
    page = to_html(rep)
    assert page.count("<svg") == 3 and "67%" in page


def test_rows_link_their_files_and_say_why_they_failed(tmp_path: Path) -> None:
    task_files(
        tmp_path,
        "sum",
        **{"patch.diff": "diff", "test_output.txt": PYTEST_FAILURE, "session.jsonl": "{}"},
    )
    task_files(tmp_path, "setup", **{"setup_output.txt": "pip: not found"})
    results = [
        result("sum", False, tokens=1_234_567),
        TaskResult(id="setup", status="setup_failed", error="setup exited 127: pip: not found"),
        TaskResult(id="turns", status="max_turns"),
    ]
    rep = build_report("suite", RUN, results, tmp_path)
    by_id = {r.id: r for r in rep.results}
    assert by_id["sum"].links == {
        "diff": "tasks/sum/patch.diff",
        "tests": "tasks/sum/test_output.txt",
        "log": "tasks/sum/session.jsonl",
    }
    assert by_id["sum"].reason == (
        "tests failed: FAILED test_hidden_sum.py::test_hidden_total - assert 41 == 42 "
        "(1 failed, 1 passed in 0.03s)"
    )
    assert by_id["setup"].reason == "setup failed: setup exited 127: pip: not found"
    assert by_id["setup"].links == {"setup": "tasks/setup/setup_output.txt"}
    assert by_id["turns"].reason == "ran out of turns"
    md = to_markdown(rep)
    assert "2026-12-01 14:03 UTC+0100 · suite suite · kodo 0.1.0 · provider openai-chat" in md
    assert "· model qwen-32b · base URL http://127.0.0.1:8000/v1" in md
    assert "| 1,234,567 |" in md and "[diff](tasks/sum/patch.diff)" in md


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        (0, "$0.00"),
        (0.0042, "$0.0042"),
        (0.012, "$0.012"),
        (0.5, "$0.50"),
        (12.345, "$12.35"),
        (1234.5, "$1,234.50"),
    ],
)
def test_money_is_shown_for_people(value: float | None, shown: str) -> None:
    assert money(value) == shown


def test_durations_and_bins_are_round() -> None:
    shown = [duration(s) for s in (4.26, 20.0, 60, 65, 3725)]
    assert shown == ["4.3 s", "20 s", "1 min", "1 min 05 s", "1 h 02 min"]
    assert [nice_step(span, 8) for span in (0.037, 7, 130, 0)] == [0.005, 1, 20, 1]


def record(run: Path, *results: TaskResult) -> Path:
    run.mkdir(parents=True)
    log = ResultsLog(run)
    for r in results:
        log.add(r)
    return run


def compare(a: Path, b: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kodo", "eval", "compare", str(a), str(b)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compare_names_the_runs_and_lists_changed_verdicts(tmp_path: Path) -> None:
    a = record(
        tmp_path / "gpt5",
        result("x", True, "gpt-5", 0.25),
        result("y", False, "gpt-5", 0.75),
        result("only-a", True, "gpt-5"),
    )
    b = record(tmp_path / "qwen", result("x", True, "qwen", None), result("y", True, "qwen", None))
    proc = compare(a, b)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# gpt5 vs qwen (2 shared tasks)\n\n| run | gpt5 | qwen |")
    assert "| model | gpt-5 | qwen |" in proc.stdout
    assert "| passed | 1/2 (50%) | 2/2 (100%) |" in proc.stdout
    assert "| total cost | $1.00 | — |" in proc.stdout
    assert "| median cost per task | $0.50 | — |" in proc.stdout
    assert "| y | fail | pass |" in proc.stdout
    assert "| x |" not in proc.stdout
    assert "Not in both runs: only-a" in proc.stdout
    same = compare(record(tmp_path / "1" / "run", result("x", True)), a)
    assert same.returncode == 0
    twin = compare(record(tmp_path / "2" / "run", result("x", True)), tmp_path / "1" / "run")
    assert f"# {tmp_path / '2' / 'run'} vs {tmp_path / '1' / 'run'}" in twin.stdout


def test_compare_needs_results(tmp_path: Path) -> None:
    proc = compare(tmp_path, tmp_path)
    assert proc.returncode == 2
    assert "no results.jsonl" in proc.stderr
