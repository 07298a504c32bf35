"""Checkpoints of the workspace before each turn, for /diff and /undo.

The snapshots are ``kodo.workspace``'s: in a git work tree, trees in a private repository of
kodo's own (the person's branch, index, stash and ``.git`` are never touched, and nothing the
repository configures runs); elsewhere a bounded in-memory copy of the files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generic, TypeVar

from kodo.workspace.errors import SnapshotError
from kodo.workspace.snapshot import Snapshots, snapshots_for

CheckpointError = SnapshotError
S = TypeVar("S")


class Checkpoints(Generic[S]):
    """One snapshot per turn; ``diff`` is everything since the first, ``undo`` goes back one."""

    def __init__(self, snapshots: Snapshots[S]) -> None:
        self.snapshots = snapshots
        self.turns: list[S] = []
        self.base: S | None = None

    @property
    def root(self) -> Path:
        return self.snapshots.root

    def take(self) -> None:
        state = self.snapshots.take()
        self.turns.append(state)
        if self.base is None:
            self.base = state

    def diff(self) -> str:
        if self.base is None:
            return ""
        return self.snapshots.diff(self.base, self.snapshots.take())

    def undo(self) -> list[str] | None:
        """Restores the files as they were before the last turn; returns the paths it changed,
        or None when there is no turn to undo."""
        if not self.turns:
            return None
        return self.snapshots.restore(self.turns.pop())

    def close(self) -> None:
        self.snapshots.close()


def checkpoints_for(cwd: Path, exclude: list[Path]) -> Checkpoints[Any]:
    """``exclude``: folders never checkpointed nor restored (kodo's own home, with the session
    files, when it lies inside the workspace)."""
    return Checkpoints(snapshots_for(cwd, exclude))
