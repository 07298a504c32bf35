"""``kodo eval`` scores tasks that carry ``done_when`` by what their runs reported: a two-task
suite, the real eval command and ``kodo exec`` per task, a scripted model that trains and claims
success both times; only the run whose last reported val_acc meets the condition passes, and the
results and the report say why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply

CONDITION = "val_acc >= 0.9"
TRAIN = """\
import json

for epoch, val_acc in enumerate({curve}, start=1):
    print(json.dumps({{"epoch": epoch, "val_acc": val_acc}}))
"""
HIDDEN = """\
import subprocess
import sys


def test_hidden_train_runs():
    assert subprocess.run([sys.executable, "train.py"]).returncode == 0
"""
CURVES = {"reaches-target": (0.71, 0.95, 0.93), "falls-short": (0.55, 0.91, 0.62)}


def write_suite(root: Path) -> Path:
    for task, curve in CURVES.items():
        (root / task / "files").mkdir(parents=True)
        (root / task / "hidden").mkdir()
        (root / task / "prompt.md").write_text("Train the model with train.py.\n")
        (root / task / "files" / "train.py").write_text(TRAIN.format(curve=curve))
        (root / task / "hidden" / "test_hidden_train.py").write_text(HIDDEN)
        (root / task / "task.json").write_text(json.dumps({"done_when": CONDITION}))
    return root


def model(request: dict) -> Reply:
    """Trains, then claims success whatever the numbers said: the condition decides."""
    if not any(m["role"] == "tool" for m in request["messages"]):
        return Reply(tool_calls=[Call("shell", {"command": [sys.executable, "train.py"]})])
    return Reply(text="Trained; the model is accurate.")


def test_eval_passes_only_the_task_whose_reported_metric_meets_done_when(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite")
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    with ScriptedOpenAIServer([model] * 20) as srv:
        args = ["eval", str(suite), "-o", str(out), "--workers", "2", "-m", "scripted"]
        args += ["--provider", "openai-chat", "--base-url", srv.base_url]
        proc = subprocess.run(
            [sys.executable, "-m", "kodo", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=240,
        )
    assert proc.returncode == 1, proc.stderr  # not every task passed
    assert "kodo eval: 1/2 passed (50%)" in proc.stderr

    results = {
        r["id"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())
    }
    for task in CURVES:  # both completed with passing tests: done_when alone decides
        assert (results[task]["status"], results[task]["tests_passed"]) == ("completed", True)
    good, bad = results["reaches-target"], results["falls-short"]
    assert (good["done_met"], bad["done_met"]) == (True, False)
    # the last value reported counts, not the best one (falls-short reached 0.91 in epoch 2)
    assert good["done_verdict"] == f"done-when {CONDITION}: met (val_acc = 0.93)"
    assert bad["done_verdict"] == f"done-when {CONDITION}: not met (val_acc = 0.62)"

    report = json.loads((out / "report.json").read_text())
    assert (report["passed"], report["tasks"]) == (1, 2)
    rows = {r["id"]: r for r in report["results"]}
    assert rows["reaches-target"]["reason"] is None
    assert rows["falls-short"]["reason"] == bad["done_verdict"]
    markdown = (out / "report.md").read_text()
    assert "| reaches-target | pass |" in markdown
    assert "| falls-short | fail (done-when) |" in markdown
    assert "not met (val_acc = 0.62)" in markdown
    assert "not met (val_acc = 0.62)" in (out / "report.html").read_text()
