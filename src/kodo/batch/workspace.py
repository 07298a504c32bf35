"""A fresh copy of a task's workspace, with a git baseline so the agent's work is one diff."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

_GIT_ID = [
    "-c",
    "user.name=kodo-batch",
    "-c",
    "user.email=batch@kodo.invalid",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "core.hooksPath=/dev/null",
]


class WorkspaceError(Exception):
    pass


def _git(cwd: Path, *args: str, timeout: float = 300) -> str:
    proc = subprocess.run(
        ["git", *_GIT_ID, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise WorkspaceError(f"git {' '.join(args)}: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


def prepare(dest: Path, *, repo: str | None, ref: str | None, files: str | None) -> None:
    """Fills ``dest`` (which must not exist) from a directory copy or a git clone."""
    if files is not None:
        if not Path(files).is_dir():
            raise WorkspaceError(f"files: {files} is not a directory")
        shutil.copytree(files, dest, symlinks=True)
        _git(dest, "init", "-q")
    elif repo is not None:
        _git(dest.parent, "clone", "-q", "--no-hardlinks", repo, str(dest))
        if ref:
            _git(dest, "checkout", "-q", ref)
    else:
        raise WorkspaceError("no workspace source")


def commit_baseline(workspace: Path) -> str:
    """Everything present now (starting files, setup's output) is not the agent's work.
    Returns the baseline commit, so commits the agent makes still count as its work."""
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "-q", "--allow-empty", "-m", "kodo batch baseline")
    return _git(workspace, "rev-parse", "HEAD").strip()


def diff_since(workspace: Path, baseline: str) -> str:
    """The agent's changes, new files included, as a patch ``git apply`` accepts."""
    _git(workspace, "add", "-A")
    return _git(workspace, "diff", "--cached", "--binary", baseline)


def copy_into(src: Path, workspace: Path) -> None:
    """Overlays ``src`` onto the workspace (hidden tests, reference solutions)."""
    if not src.is_dir():
        raise WorkspaceError(f"{src} is not a directory")
    shutil.copytree(src, workspace, symlinks=True, dirs_exist_ok=True)
