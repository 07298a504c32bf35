"""The real embedded model (Qwen2.5-Coder-1.5B, llama.cpp in-process) driven through
``kodo exec`` on a one-step task: what a person gets from README command 1 with no key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kodo.models.local_store import QWEN_CODER_1_5B
from tests.conftest import REAL_KODO_HOME
from tests.e2e.harness import kodo_env, run_kodo

MODEL = REAL_KODO_HOME / "models" / QWEN_CODER_1_5B.filename

# Two to ten model turns at a few tokens per second on a 2-core CPU, more when the CPU is shared.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


@pytest.fixture
def model() -> Path:
    if not MODEL.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{MODEL} is missing: scripts/install.sh runs `kodo model pull`")
        pytest.skip(f"no local model at {MODEL} (kodo model pull)")
    return MODEL


def test_the_embedded_model_acts_through_kodo(model: Path, tmp_path: Path) -> None:
    """The harness, not the model's skill: the real model's text calls are parsed and run and
    the session ends with a truthful record. Whether this 1.5B model finishes the task varies
    with small prompt changes (see README: the embedded model), so that is measured by
    benchmarks/bench_local_model.py, not asserted here."""
    args = ["exec", "--json", "-m", str(model), "--max-turns", "8"]
    prompt = "Create hello.py that prints Hello, World! and run it."
    run = run_kodo([*args, prompt], cwd=tmp_path, env=kodo_env(), timeout=900)
    assert run.returncode in (0, 1, 3), run.stderr[-2000:]
    notices = [n["text"] for n in run.of_type("notice")]
    assert sum("using the embedded local model" in n for n in notices) == 1  # said, once
    assert run.of_type("session_started")[0]["provider"] == "local"
    calls = [c for m in run.of_type("assistant_message") for c in m["tool_calls"]]
    assert calls and all(c["from_text"] for c in calls)  # written as text, run all the same
    assert {r["name"] for r in run.tool_results} <= {"bash", "write_file"}
    assert run.tool_results
    end = run.of_type("session_completed")[-1]
    assert end["status"] in ("completed", "error", "max_turns")
    assert end["claimed_success"] is not None or end["status"] != "completed"
