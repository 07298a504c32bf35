"""The real embedded model (Qwen2.5-Coder-1.5B, llama.cpp in-process) driven through
``kodo exec`` on a one-step task: what a person gets from README command 1 with no key."""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_the_embedded_model_writes_and_runs_a_script(model: Path, tmp_path: Path) -> None:
    args = ["exec", "--json", "-m", str(model), "--max-turns", "8"]
    prompt = "Create hello.py that prints Hello, World! and run it."
    run = run_kodo([*args, prompt], cwd=tmp_path, env=kodo_env(), timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "using the embedded local model" in run.stderr  # no key, no provider: said once
    started = run.of_type("session_started")[0]
    assert started["provider"] == "local"
    script = tmp_path / "hello.py"
    assert script.is_file(), run.stdout[-3000:]
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert out.stdout.strip() == "Hello, World!"
    end = run.of_type("session_completed")[-1]
    assert end["status"] == "completed" and end["verified"] is True
