"""Snapshots of a workspace, one way for every caller: /diff and /undo's checkpoints, the MCP
server's diff of a task and a batch task's patch. A git work tree is kept as trees in a private
repository (``trees``), any other folder as copies in memory (``copies``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from kodo.workspace.copies import FileCopies
from kodo.workspace.repo import find_worktree
from kodo.workspace.trees import GitTrees

S = TypeVar("S")


class Snapshots(Protocol[S]):
    """``take`` returns a snapshot of the workspace as it is now; the other methods compare and
    restore snapshots it took."""

    root: Path

    def take(self) -> S: ...
    def diff(self, old: S, new: S) -> str: ...
    def restore(self, target: S) -> list[str]: ...
    def close(self) -> None: ...


def snapshots_for(path: Path, exclude: Iterable[Path] = ()) -> Snapshots[Any]:
    """Snapshots of the git work tree holding ``path``, else of ``path`` itself. ``exclude``:
    folders never snapshotted nor restored (kodo's own home, when it lies inside)."""
    worktree = find_worktree(path) if shutil.which("git") else None
    if worktree is not None:
        return GitTrees(worktree, exclude)
    return FileCopies(path, exclude)
