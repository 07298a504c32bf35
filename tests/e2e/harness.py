"""Runs the real ``kodo`` program against a scripted model server, as a person would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

KODO = [sys.executable, "-m", "kodo"]


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def events(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]

    def of_type(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]

    @property
    def tool_results(self) -> list[dict]:
        return self.of_type("tool_result")


def command_of(result: dict) -> str:
    """The command a ``tool_result`` ran or started, from its detail; "" for any other."""
    return (result.get("detail") or {}).get("command", "")


def kodo_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(extra)
    return env


def run_kodo(
    args: list[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> Run:
    proc = subprocess.run(
        [*KODO, *args],
        cwd=cwd,
        env=env or kodo_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def exec_args(base_url: str, *more: str) -> list[str]:
    return [
        "exec",
        "--json",
        "--provider",
        "openai-chat",
        "--base-url",
        base_url,
        "-m",
        "scripted",
        *more,
    ]
