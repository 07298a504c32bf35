"""results.jsonl survives a kill mid-write, and the last line per task wins."""

from __future__ import annotations

from pathlib import Path

from kodo.batch.results import ResultsLog, TaskResult, read_results


def test_torn_line_is_skipped_and_appends_start_fresh(tmp_path: Path) -> None:
    log = ResultsLog(tmp_path)
    log.add(TaskResult(id="a", status="crashed"))
    with log.path.open("a") as f:
        f.write('{"id": "b", "sta')  # killed mid-write
    log = ResultsLog(tmp_path)
    log.add(TaskResult(id="a", status="completed", tests_passed=True))
    log.add(TaskResult(id="c", status="completed", tests_passed=False))
    got = {r.id: r for r in read_results(tmp_path)}
    assert set(got) == {"a", "c"}
    assert got["a"].ok
    assert not got["c"].ok


def test_no_file_means_no_results(tmp_path: Path) -> None:
    assert read_results(tmp_path) == []


def test_a_task_is_ok_only_when_its_measured_condition_was_met() -> None:
    assert TaskResult(id="a", status="completed", done_met=True).ok
    assert TaskResult(id="a", status="completed").ok  # no done_when
    assert not TaskResult(id="a", status="completed", done_met=False).ok
