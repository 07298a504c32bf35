"""Runs a cluster's command-line client on the host, never with kodo's model keys."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

from kodo.jobs.model import ClusterError

MODEL_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
CLIENT_TIMEOUT_S = 60.0


def client_env(api_key_env: str | None = None) -> dict[str, str]:
    """The host environment minus the model keys (and the configured ``api_key_env``):
    schedulers and kubectl need the person's own credentials, never the model provider's."""
    drop = {*MODEL_KEYS, api_key_env}
    return {k: v for k, v in os.environ.items() if k not in drop}


def run_client(
    argv: Sequence[str],
    *,
    env: dict[str, str],
    timeout_s: float = CLIENT_TIMEOUT_S,
    cwd: str | None = None,
) -> str:
    """stdout of a successful run; a ``ClusterError`` naming the command and its stderr else."""
    if shutil.which(argv[0], path=env.get("PATH")) is None:
        raise ClusterError(f"{argv[0]} not found on PATH: install the cluster's client tools")
    try:
        proc = subprocess.run(
            list(argv),
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(f"{' '.join(argv[:3])} did not answer within {timeout_s:.0f}s") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        why = detail[-1] if detail else f"exit {proc.returncode}"
        raise ClusterError(f"{' '.join(argv[:3])} failed: {why}")
    return proc.stdout
