"""Choosing the executor for a session from the sandbox mode."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from kodo.config import Config
from kodo.sandbox.base import Executor


def create_executor(
    config: Config,
    workspace: Path,
    *,
    env: Callable[[], Mapping[str, str]] | None = None,
    wait: bool = True,
) -> Executor:
    """``danger-full-access`` runs plain subprocesses; every other mode needs bwrap and raises
    ``SandboxUnavailable`` without it rather than fall back to running unsandboxed. ``env``
    gives what commands start from (the session's login environment; kodo's own when None).
    ``wait=False`` returns a sandbox still starting: its ``ready()`` waits for it."""
    if config.sandbox_mode == "danger-full-access":
        from kodo.sandbox.local import LocalExecutor

        return LocalExecutor(config, env=env)
    from kodo.sandbox.bwrap import BwrapExecutor

    return BwrapExecutor(config, workspace, env=env, wait=wait)
