"""Git run on the host against a workspace that a model or a cloned repository controls.

A repository can make plain ``git`` execute programs (fsmonitor, hooks, filter and textconv
drivers, external diff, pager, ssh and credential helpers, includes that add any of these), and
so can a host environment's ``GIT_*`` variables. Every host git call goes through ``run_git``:
it drops the inherited ``GIT_*`` variables, never reads system configuration, reads the person's
global configuration only when asked (a batch clone needs their credentials), and pins the
settings that run programs with ``-c``, which outranks every configuration file.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

PINNED = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.editor=false",
    "protocol.ext.allow=never",
)
"""Settings that would run a program, pinned whatever the configuration files say."""

ISOLATED = ("core.attributesFile=/dev/null", "core.sshCommand=false", "credential.helper=")
"""Pinned as well when no configuration of the person's is read."""


class GitError(Exception):
    pass


def _env(extra: Mapping[str, str] | None = None, *, user_config: bool = False) -> dict[str, str]:
    """The process environment without inherited ``GIT_*`` variables (they can point git at
    another repository, index or config, or name an external diff or pager)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env |= {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "GIT_NO_REPLACE_OBJECTS": "1",
    }
    if not user_config:
        env["GIT_CONFIG_GLOBAL"] = "/dev/null"
    return env | dict(extra or {})


def run_git(
    args: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    user_config: bool = False,
    stdin: bytes | None = None,
    timeout: float | None = None,
) -> bytes:
    """Runs ``git ARGS`` hardened; ``env`` adds variables (``GIT_DIR`` and the like) after the
    inherited ones are dropped. Returns stdout; raises ``GitError`` on failure."""
    pins = PINNED if user_config else (*PINNED, *ISOLATED)
    argv = ["git", "--no-pager", *(part for pin in pins for part in ("-c", pin)), *args]
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=_env(env, user_config=user_config),
            input=stdin or b"",  # never the terminal's stdin
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} timed out after {timeout:g}s") from exc
    if proc.returncode != 0:
        why = proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        raise GitError(f"git {args[0]} failed: {why}")
    return proc.stdout
