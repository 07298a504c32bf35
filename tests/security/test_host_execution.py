"""What kodo itself starts on the host from a workspace: a batch's test step runs the code the
model wrote, so it runs in the sandbox; and `python -m kodo` started in a workspace must not
import a module planted there. Positive controls show each probe would fire without the fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.batch.scripted import batch_env, kodo_batch, results_by_id
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Reply


def planted_module(folder: Path, marker: Path) -> None:
    """A ``tomllib.py`` that leaves a marker when imported: kodo's config imports tomllib."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tomllib.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise ImportError\n")


def test_batch_test_step_runs_in_the_sandbox(tmp_path: Path, bait: Path) -> None:
    marker = bait / "imported"
    planted_module(tmp_path / "start", marker)
    (tmp_path / "start" / "answer.txt").write_text("42\n")
    escape = bait / "escaped"
    tasks = tmp_path / "tasks.jsonl"
    with ScriptedOpenAIServer([Reply(text="done")] * 4) as srv:
        common = {
            "prompt": "p",
            "files": "start",
            "provider": "openai-chat",
            "base_url": srv.base_url,
            "model": "m",
        }
        tasks.write_text(
            json.dumps({**common, "id": "reads", "test": "grep -qx 42 answer.txt"})
            + "\n"
            + json.dumps({**common, "id": "escapes", "test": f"touch {escape}"})
            + "\n"
        )
        out = tmp_path / "out"
        proc = subprocess.run(
            kodo_batch(tasks, out),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env=batch_env(),
        )
    results = results_by_id(out)
    assert results["reads"]["tests_passed"] is True, proc.stderr  # the test step did run
    assert results["escapes"]["tests_passed"] is False
    assert not escape.exists()
    assert not marker.exists()  # the planted module was never imported by kodo sandbox

    # positive controls: unsandboxed, the test step's write lands; without -P, the module loads
    subprocess.run(["bash", "-c", f"touch {escape}"], check=True)
    assert escape.exists()
    kodo = [sys.executable, "-m", "kodo", "trust", "--list"]
    subprocess.run(kodo, cwd=tmp_path / "start", capture_output=True)
    assert marker.exists()
