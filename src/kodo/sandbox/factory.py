"""Choosing the executor for a session from the sandbox mode."""

from __future__ import annotations

from pathlib import Path

from kodo.config import Config
from kodo.sandbox.base import Executor


def create_executor(config: Config, workspace: Path) -> Executor:
    """``danger-full-access`` runs plain subprocesses; every other mode needs bwrap and raises
    ``SandboxUnavailable`` without it rather than fall back to running unsandboxed."""
    if config.sandbox_mode == "danger-full-access":
        from kodo.sandbox.local import LocalExecutor

        return LocalExecutor(config)
    from kodo.sandbox.bwrap import BwrapExecutor

    return BwrapExecutor(config, workspace)
