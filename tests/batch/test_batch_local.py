"""A batch on the local model: every task's ``kodo exec`` uses the one server the batch was
given (``KODO_LOCAL_URL``) instead of loading the weights again; here a scripted model stands
in for the embedded server, and the task homes hold no model at all."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.batch.scripted import batch_env, kodo_batch, results_by_id
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Reply


def small_model(request: dict) -> Reply:
    """Answers like the embedded model in text mode: a tagged call, then a one-line summary."""
    texts = [m["content"] for m in request["messages"] if m["role"] == "user"]
    n = re.search(r"task (\d)", " ".join(texts))[1]
    if any("<tool_response>" in t for t in texts):
        return Reply(text=f"Wrote {n} to answer.txt and checked it.")
    call = {"name": "bash", "arguments": {"command": f"echo {n} > answer.txt"}}
    return Reply(text=f"<tool_call>\n{json.dumps(call)}\n</tool_call>")


def test_tasks_share_the_batchs_local_model(tmp_path: Path) -> None:
    (tmp_path / "start").mkdir()
    tasks = tmp_path / "tasks.jsonl"
    lines = [
        {"id": f"t{n}", "prompt": f"task {n}: write {n} to answer.txt", "files": "start"}
        | {"test": f"grep -qx {n} answer.txt", "provider": "local"}
        for n in range(3)
    ]
    tasks.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with ScriptedOpenAIServer([small_model] * 20) as srv:
        env = batch_env() | {"KODO_LOCAL_URL": srv.base_url}
        proc = subprocess.run(
            kodo_batch(tasks, tmp_path / "out", "--workers", "2"),
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        requests = srv.requests
    assert proc.returncode == 0, proc.stderr
    results = results_by_id(tmp_path / "out")
    assert sorted(i for i, r in results.items() if r["tests_passed"]) == ["t0", "t1", "t2"]
    assert len(requests) == 6
    assert all("tools" not in r and r["temperature"] == 0 for r in requests)
    assert all(r["stop"] == ["<tool_response>"] for r in requests)
