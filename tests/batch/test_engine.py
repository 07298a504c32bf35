"""Batch bookkeeping without a model: reference solutions stand in for the agent's work."""

from __future__ import annotations

import io
import json
from pathlib import Path

from kodo.batch.engine import run_batch
from kodo.batch.progress import Display
from kodo.batch.runner import RunOptions, summarize_events
from kodo.batch.tasks import Task


def make_tasks(root: Path) -> list[Task]:
    (root / "start").mkdir()
    (root / "start" / "a.txt").write_text("old\n")
    (root / "good").mkdir()
    (root / "good" / "a.txt").write_text("new\n")
    (root / "hidden").mkdir()
    (root / "hidden" / "check.sh").write_text("grep -qx new a.txt\n")
    common = {"files": str(root / "start"), "hidden_tests": str(root / "hidden")}
    return [
        Task(id="pass", prompt="p", solution=str(root / "good"), test="bash check.sh", **common),
        Task(id="fail", prompt="p", solution=str(root / "start"), test="bash check.sh", **common),
        Task(id="setup", prompt="p", solution=str(root / "good"), setup="exit 5", **common),
    ]


def run(tasks: list[Task], out: Path, **kw: object):
    display = Display(len(tasks), skipped=0, stream=io.StringIO())
    opts = RunOptions(reference=True)
    return run_batch(tasks, out, opts, workers=2, display=display, **kw)  # type: ignore[arg-type]


def test_results_files_and_rerun_skips(tmp_path: Path) -> None:
    tasks = make_tasks(tmp_path)
    out = tmp_path / "out"
    first = run(tasks, out)
    got = {r.id: r for r in first.results}
    assert (got["pass"].status, got["pass"].tests_passed) == ("completed", True)
    assert (got["fail"].status, got["fail"].tests_passed) == ("completed", False)
    assert got["setup"].status == "setup_failed" and "exited 5" in (got["setup"].error or "")
    assert not first.all_ok and first.ran == 3
    diff = (out / "tasks" / "pass" / "patch.diff").read_text()
    assert "-old" in diff and "+new" in diff and "check.sh" not in diff
    assert (out / "tasks" / "fail" / "patch.diff").read_text() == ""

    again = run(tasks, out)
    assert again.ran == 0 and again.skipped == 3 and len(again.results) == 3

    retried = run(tasks, out, retry_failed=True)
    assert retried.ran == 2 and retried.skipped == 1
    lines = (out / "results.jsonl").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines].count("pass") == 1


def test_summarize_events_reads_the_stream(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    events = [
        {"type": "session_started"},
        {"type": "usage", "total_input_tokens": 10, "total_output_tokens": 2},
        {"type": "turn_completed", "turn": 1},
        {"type": "usage", "total_input_tokens": 25, "total_output_tokens": 7},
        {"type": "turn_completed", "turn": 2},
        {"type": "session_completed", "status": "max_turns", "exit_code": 3, "error": "cap"},
    ]
    path.write_text("not json\n{broken\n" + "\n".join(map(json.dumps, events)) + "\n")
    s = summarize_events(path)
    assert (s.turns, s.input_tokens, s.output_tokens) == (2, 25, 7)
    assert (s.status, s.exit_code, s.error) == ("max_turns", 3, "cap")
    assert (s.done_met, s.done_verdict) == (None, None)


def test_the_done_when_verdict_comes_from_the_session_not_stderr(tmp_path: Path) -> None:
    """The value that decided is recorded in ``session_completed``; a batch reads it there."""
    path = tmp_path / "events.jsonl"
    verdict = "done-when val_acc >= 0.9: met (val_acc = 0.93)"
    end = {"type": "session_completed", "status": "completed", "exit_code": 0}
    end |= {"done_when": "val_acc >= 0.9", "done_met": True, "done_verdict": verdict}
    path.write_text(json.dumps(end) + "\n")
    s = summarize_events(path)
    assert (s.done_met, s.done_verdict) == (True, verdict)
