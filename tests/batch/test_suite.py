"""The shipped suite: the reference solutions pass every hidden test, the starting files fail
them (so each task asks for real work), and the report shows it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kodo.batch.suite import HIDDEN_TEST, load_suite

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "evals" / "starter"
KINDS = ("fix-", "feature-", "webapi-", "data-", "debug-")


def test_suite_shape() -> None:
    tasks = load_suite(SUITE)
    assert len(tasks) >= 12
    for kind in KINDS:
        assert sum(t.id.startswith(kind) for t in tasks) >= 2, kind
    assert all(t.hidden_tests and t.solution for t in tasks)


@pytest.mark.parametrize("task", load_suite(SUITE), ids=lambda t: t.id)
def test_starting_files_fail_the_hidden_tests(task, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(task.files, ws)
    shutil.copytree(task.hidden_tests, ws, dirs_exist_ok=True)
    bin_dir = str(Path(sys.executable).parent)
    proc = subprocess.run(
        ["bash", "-c", HIDDEN_TEST],
        cwd=ws,
        capture_output=True,
        text=True,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        timeout=120,
    )
    assert proc.returncode != 0, proc.stdout


def test_reference_run_passes_every_task(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kodo",
            "eval",
            str(SUITE),
            "--reference",
            "-o",
            str(out),
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    failed = [r["id"] for r in report["results"] if not r["tests_passed"]]
    assert failed == []
    assert report["passed"] == report["tasks"] == len(load_suite(SUITE))
    assert report["by_model"] == [
        {
            "model": "reference",
            "tasks": report["tasks"],
            "passed": report["tasks"],
            "pass_rate": 1.0,
        }
    ]
    for r in report["results"]:
        task_dir = out / "tasks" / r["id"]
        assert "passed" in (task_dir / "test_output.txt").read_text()
        assert "test_hidden_" not in (task_dir / "patch.diff").read_text()
    page = (out / "report.html").read_text()
    assert "<svg" in page and "100%" in page and "<script" not in page
    assert "| fix-pagination | pass |" in (out / "report.md").read_text()
