"""A batch of 20 small tasks and the scripted model that solves them, shared by the local and
Ray end-to-end tests."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

from tests.fakes.script import Call, Reply

HIDDEN_MARKER = "hidden-check-7f3a"
GOOD = 18  # t00..t17 finish and pass; t18 makes kodo exit early, t19 breaks its setup


def answer(n: int) -> str:
    return f"t{n:02d}:{n * n}"


class Model:
    """Reacts to each request by itself, so concurrent sessions can share one server: the
    first turn writes ``answer.txt`` and lists the workspace, the second turn finishes."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s

    def __call__(self, request: dict) -> Reply:
        time.sleep(self.delay_s)
        prompt = next(m["content"] for m in request["messages"] if m["role"] == "user")
        text = prompt if isinstance(prompt, str) else json.dumps(prompt)
        n = int(re.search(r"task t(\d\d)", text)[1])
        if any(m["role"] == "tool" for m in request["messages"]):
            return Reply(text=f"wrote the answer for t{n:02d}")
        script = f"echo {answer(n)} > answer.txt && ls -A"
        return Reply(tool_calls=[Call("shell", {"command": ["bash", "-c", script]})])


def script(delay_s: float = 0.0, requests: int = 200) -> list:
    return [Model(delay_s)] * requests


def write_batch(root: Path, base_url: str, *, last_setup: str = "exit 7") -> Path:
    """TASKS.jsonl with 20 tasks sharing one starting folder and one hidden test."""
    (root / "start").mkdir()
    (root / "start" / "README.md").write_text("answers go in answer.txt\n")
    (root / "hidden").mkdir()
    (root / "hidden" / "hidden_check.sh").write_text(
        f'# {HIDDEN_MARKER}\ngrep -qx "$1" answer.txt\n'
    )
    lines = []
    for n in range(20):
        task: dict = {
            "id": f"t{n:02d}",
            "prompt": f"task t{n:02d}: write t{n:02d}:N*N to answer.txt",
            "files": "start",
            "hidden_tests": "hidden",
            "test": f"bash hidden_check.sh {answer(n)}",
            "provider": "openai-chat",
            "base_url": base_url,
            "model": "test-model",
            "timeout_s": 120,
        }
        if n == 18:
            task["config"] = ["max_turns=not-a-number"]
        if n == 19:
            task["setup"] = last_setup
        lines.append(json.dumps(task))
    path = root / "tasks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def kodo_batch(tasks: Path, out: Path, *more: str) -> list[str]:
    return [sys.executable, "-m", "kodo", "batch", str(tasks), "-o", str(out), *more]


def batch_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}


def results_by_id(out: Path) -> dict[str, dict]:
    lines = (out / "results.jsonl").read_text().splitlines()
    return {r["id"]: r for r in map(json.loads, lines)}


def assert_batch_correct(out: Path, results: dict[str, dict], requests: list[dict]) -> None:
    """Every task recorded once with the right verdict, files and diff; hidden tests unseen."""
    assert sorted(results) == [f"t{n:02d}" for n in range(20)]
    for n in range(GOOD):
        r = results[f"t{n:02d}"]
        assert (r["status"], r["exit_code"], r["tests_passed"]) == ("completed", 0, True), r
        assert r["turns"] >= 1 and r["model"] == "test-model"
        tdir = out / "tasks" / f"t{n:02d}"
        diff = (tdir / "patch.diff").read_text()
        assert f"+{answer(n)}" in diff and "answer.txt" in diff and "hidden_check" not in diff
        assert (tdir / "session.jsonl").read_text().count('"session_completed"') == 1
        assert (tdir / "test_output.txt").is_file() and (tdir / "events.jsonl").is_file()
    crashed = results["t18"]
    assert crashed["status"] == "crashed" and crashed["exit_code"] not in (0, None)
    assert "max_turns" in crashed["error"]
    assert results["t19"]["status"] in ("setup_failed", "crashed")
    seen = json.dumps(requests)
    assert "README.md" in seen  # the agent's `ls -A` reached the model...
    assert "hidden_check" not in seen and HIDDEN_MARKER not in seen  # ...the hidden test did not
