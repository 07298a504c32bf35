"""The shipped suites: the reference solutions pass every hidden test, the starting files fail
them (so each task asks for real work), and the report shows it.

``evals/starter`` is the general suite; ``evals/small`` holds short tasks (1-4 tool calls)
sized for weak local models."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kodo.batch.suite import HIDDEN_TEST, load_suite

ROOT = Path(__file__).resolve().parents[2]
# suite name -> (task id prefixes, fewest tasks, a task id the markdown report must list)
SUITES = {
    "starter": (("fix-", "feature-", "webapi-", "data-", "debug-"), 12, "fix-pagination"),
    "small": (("script-", "fixtest-", "func-", "api-", "cli-"), 20, "func-binary-search"),
}
# tool names a model may confuse with a function under test; only func-binary-search uses one
TOOL_NAMES = ("search", "shell", "read_file", "write_file", "apply_patch", "run", "bash")


def suite_dir(name: str) -> Path:
    return ROOT / "evals" / name


@pytest.mark.parametrize("name", SUITES)
def test_suite_shape(name: str) -> None:
    kinds, fewest, _ = SUITES[name]
    tasks = load_suite(suite_dir(name))
    assert len(tasks) >= fewest
    for kind in kinds:
        assert sum(t.id.startswith(kind) for t in tasks) >= 2, kind
    assert all(t.id.startswith(kinds) for t in tasks)
    assert all(t.hidden_tests and t.solution for t in tasks)


def test_small_suite_names_one_function_like_a_tool() -> None:
    """Exactly one small task asks for a function named like an agent tool (``search``)."""
    clashes = []
    for task in load_suite(suite_dir("small")):
        for path in Path(task.solution).rglob("*.py"):
            text = path.read_text()
            clashes += [(task.id, n) for n in TOOL_NAMES if f"def {n}(" in text]
    assert clashes == [("func-binary-search", "search")]


def _all_tasks() -> list:
    return [
        pytest.param(task, id=f"{name}/{task.id}")
        for name in SUITES
        for task in load_suite(suite_dir(name))
    ]


@pytest.mark.parametrize("task", _all_tasks())
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


@pytest.mark.parametrize("name", SUITES)
def test_reference_run_passes_every_task(name: str, tmp_path: Path) -> None:
    suite = suite_dir(name)
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kodo",
            "eval",
            str(suite),
            "--reference",
            "-o",
            str(out),
            "--workers",
            "4",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "report.json").read_text())
    failed = [r["id"] for r in report["results"] if not r["tests_passed"]]
    assert failed == []
    assert report["passed"] == report["tasks"] == len(load_suite(suite))
    assert report["by_model"] == [
        {
            "model": "reference",
            "tasks": report["tasks"],
            "passed": report["tasks"],
            "pass_rate": 1.0,
        }
    ]
    assert report["run"]["provider"] == "reference" and report["run"]["kodo_version"]
    for r in report["results"]:
        task_dir = out / "tasks" / r["id"]
        assert r["links"]["diff"] == f"tasks/{r['id']}/patch.diff" and r["reason"] is None
        assert "passed" in (task_dir / "test_output.txt").read_text()
        assert "test_hidden_" not in (task_dir / "patch.diff").read_text()
    page = (out / "report.html").read_text()
    assert "<svg" in page and "100%" in page and "<script" not in page
    assert f"| {SUITES[name][2]} | pass |" in (out / "report.md").read_text()
