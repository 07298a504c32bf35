"""A fresh copy of a task's workspace, with a git baseline so the agent's work is one diff.

Git runs hardened (``kodo.workspace.git``). Up to the baseline the repository is one kodo made
(``git init``, or a clone, which brings no configuration along) changed only by the task's own
setup, so the person's git configuration applies there (credentials, LFS). After the agent ran,
its repository is not trusted: the patch comes from ``kodo.workspace`` snapshots, which never
open the workspace's ``.git``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kodo.workspace.errors import SnapshotError
from kodo.workspace.git import GitError, run_git
from kodo.workspace.repo import find_worktree
from kodo.workspace.trees import GitTrees

_GIT_ID = (
    *("-c", "user.name=kodo-batch"),
    *("-c", "user.email=batch@kodo.invalid"),
    *("-c", "commit.gpgsign=false"),
)


class WorkspaceError(Exception):
    pass


def _git(cwd: Path, *args: str, timeout: float = 300) -> None:
    try:
        run_git([*_GIT_ID, *args], cwd=cwd, user_config=True, timeout=timeout)
    except GitError as exc:
        raise WorkspaceError(str(exc)) from exc


def prepare(dest: Path, *, repo: str | None, ref: str | None, files: str | None) -> None:
    """Fills ``dest`` (which must not exist) from a directory copy or a git clone. A copied
    directory's own ``.git`` is left behind: its configuration and hooks are not kodo's."""
    if files is not None:
        if not Path(files).is_dir():
            raise WorkspaceError(f"files: {files} is not a directory")
        top = Path(files)
        shutil.copytree(
            top,
            dest,
            symlinks=True,
            ignore=lambda folder, names: {".git"} if Path(folder) == top else set(),
        )
        _git(dest, "init", "-q")
    elif repo is not None:
        _git(dest.parent, "clone", "-q", "--no-hardlinks", "--", repo, str(dest))
        if ref:
            if ref.startswith("-"):
                raise WorkspaceError(f"ref: {ref!r} is not a git revision")
            _git(dest, "checkout", "-q", ref, "--")
    else:
        raise WorkspaceError("no workspace source")


class Baseline:
    """The workspace right after the baseline commit, as a snapshot to diff the agent's work
    against (so commits the agent makes still count as its work)."""

    def __init__(self, workspace: Path) -> None:
        worktree = find_worktree(workspace)
        if worktree is None or worktree.top != workspace.resolve():
            raise WorkspaceError(f"{workspace} is not the top of a git work tree")
        self._trees = GitTrees(worktree)
        try:
            self._tree = self._trees.take()
        except SnapshotError as exc:
            self._trees.close()
            raise WorkspaceError(str(exc)) from exc

    def patch(self) -> bytes:
        """The agent's changes, new files included, as a patch ``git apply`` accepts."""
        try:
            return self._trees.patch(self._tree, self._trees.take())
        except SnapshotError as exc:
            raise WorkspaceError(str(exc)) from exc

    def close(self) -> None:
        self._trees.close()


def commit_baseline(workspace: Path) -> Baseline:
    """Everything present now (starting files, setup's output) is not the agent's work."""
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "-q", "--allow-empty", "-m", "kodo batch baseline")
    return Baseline(workspace)


def copy_into(src: Path, workspace: Path) -> None:
    """Overlays ``src`` onto the workspace (hidden tests, reference solutions)."""
    if not src.is_dir():
        raise WorkspaceError(f"{src} is not a directory")
    shutil.copytree(src, workspace, symlinks=True, dirs_exist_ok=True)
