"""What a task changed in a directory, as a unified diff.

A snapshot from ``kodo.workspace`` is taken before the task and compared after it, so the diff
holds only the task's own changes (not edits that were there before). In a git work tree it
includes new untracked files, honours .gitignore and leaves the repository alone; elsewhere the
files are compared one by one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kodo.workspace.snapshot import snapshots_for


class WorkspaceSnapshot:
    """Taken before the task; ``diff()`` after it says what changed since, once: it also removes
    what the snapshot kept (``close()`` does that alone when there is nothing to compare)."""

    def __init__(self, root: Path) -> None:
        self._snapshots = snapshots_for(root)
        try:
            self._before: Any = self._snapshots.take()
        except BaseException:
            self._snapshots.close()
            raise

    def diff(self) -> str:
        try:
            return self._snapshots.diff(self._before, self._snapshots.take())
        finally:
            self.close()

    def close(self) -> None:
        self._snapshots.close()
