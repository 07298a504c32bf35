"""Runs a showcase session the way a person sees it (``kodo exec`` without ``--json``) and prints
the rendering; the transcripts in examples/*/README.md come from here.

    .venv/bin/python -m tests.e2e.showcase.replay web-api|pytorch|pytorch-slurm|distributed

pytorch-slurm submits to the Slurm cluster the environment reaches (sbatch on PATH, SLURM_CONF).
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.e2e.harness import KODO, kodo_env
from tests.e2e.showcase.session import Session
from tests.fakes.openai_server import ScriptedOpenAIServer

WORKFLOWS = {
    "web-api": "tests.e2e.test_showcase_web_api",
    "pytorch": "tests.e2e.test_showcase_pytorch",
    "pytorch-slurm": "tests.jobs.test_showcase_pytorch_slurm",
    "distributed": "tests.e2e.test_showcase_distributed",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workflow", choices=WORKFLOWS)
    args = parser.parse_args()
    module = importlib.import_module(WORKFLOWS[args.workflow])
    session = Session()
    with (
        tempfile.TemporaryDirectory(prefix="kodo-showcase-") as workspace,
        tempfile.TemporaryDirectory(prefix="kodo-home-") as home,
        ScriptedOpenAIServer(module.script(session)) as server,
    ):
        prepare = getattr(module, "prepare", None)
        if prepare:
            prepare(Path(workspace))
        configure = getattr(module, "configure", None)  # the person's own config
        if configure:
            configure(Path(home))
        command = ["exec", "--provider", "openai-chat", "--base-url", server.base_url]
        done = subprocess.run(
            [*KODO, *command, "-m", "scripted", *getattr(module, "EXEC_ARGS", ()), module.PROMPT],
            cwd=workspace,
            env=kodo_env(KODO_HOME=home, NO_COLOR="1", COLUMNS="100"),
            check=False,
        )
    for problem in session.problems:
        print(f"replay: a scripted check failed: {problem}", file=sys.stderr)
    return done.returncode or (1 if session.problems else 0)


if __name__ == "__main__":
    sys.exit(main())
