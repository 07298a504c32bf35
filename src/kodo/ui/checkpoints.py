"""Checkpoints of the workspace before each turn, for /diff and /undo.

In a git repository the files are recorded as git trees through a private index file, so the
person's branch, index and stash are never touched (only object files are added; no ref moves).
Elsewhere a bounded in-memory snapshot of the files is kept instead.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache"}
MAX_FILE_BYTES = 1_000_000
MAX_SNAPSHOT_BYTES = 50_000_000


class CheckpointError(Exception):
    pass


class Checkpoints(Protocol):
    def take(self) -> None: ...
    def diff(self) -> str: ...
    def undo(self) -> list[str] | None: ...
    def close(self) -> None: ...


def _inside(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` when it lies inside it, else None."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return None


class GitCheckpoints:
    """Trees written from a private index; ``undo`` checks one out into that index only."""

    def __init__(self, root: Path, exclude: list[Path]) -> None:
        self.root = root
        inside = (_inside(path, root) for path in exclude)
        self._pathspec = [".", *(f":(exclude){rel}" for rel in inside if rel and rel != ".")]
        self._dir = tempfile.mkdtemp(prefix="kodo-checkpoints-")
        self._env = {**os.environ, "GIT_INDEX_FILE": os.path.join(self._dir, "index")}
        self.trees: list[str] = []
        self.base: str | None = None

    def _git(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.root, env=self._env, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise CheckpointError(f"git {args[0]} failed: {proc.stderr.strip()}")
        return proc.stdout

    def _snapshot(self) -> str:
        self._git("add", "-A", "--", *self._pathspec)
        return self._git("write-tree").strip()

    def take(self) -> None:
        tree = self._snapshot()
        self.trees.append(tree)
        if self.base is None:
            self.base = tree

    def diff(self) -> str:
        if self.base is None:
            return ""
        return self._git("diff", "--no-color", "--no-ext-diff", self.base, self._snapshot())

    def undo(self) -> list[str] | None:
        """Restores the files as they were before the last turn; returns the paths it changed,
        or None when there is no turn to undo."""
        if not self.trees:
            return None
        target = self.trees.pop()
        current = self._snapshot()
        changed = self._git("diff", "--name-only", "--no-renames", target, current).split("\n")
        added = self._git(
            "diff", "--name-only", "--no-renames", "--diff-filter=A", target, current
        ).split("\n")
        self._git("read-tree", target)
        self._git("checkout-index", "-a", "-f")
        for name in filter(None, added):
            path = self.root / name
            if path.is_file() or path.is_symlink():
                path.unlink()
        return [name for name in changed if name]

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


def _read_tree(root: Path, exclude: set[Path]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs if d not in SKIP_DIRS and Path(folder, d).resolve() not in exclude
        )
        for name in sorted(names):
            path = Path(folder, name)
            try:
                if path.is_symlink() or path.stat().st_size > MAX_FILE_BYTES:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            total += len(data)
            if total > MAX_SNAPSHOT_BYTES:
                raise CheckpointError("the workspace is too large to snapshot without git")
            files[str(path.relative_to(root))] = data
    return files


class SnapshotCheckpoints:
    """Copies of the workspace's files (skipping large files and dependency folders)."""

    def __init__(self, root: Path, exclude: list[Path]) -> None:
        self.root = root
        self.exclude = {path.resolve() for path in exclude}
        self.snapshots: list[dict[str, bytes]] = []
        self.base: dict[str, bytes] | None = None

    def take(self) -> None:
        snap = _read_tree(self.root, self.exclude)
        self.snapshots.append(snap)
        if self.base is None:
            self.base = snap

    def diff(self) -> str:
        if self.base is None:
            return ""
        now = _read_tree(self.root, self.exclude)
        out: list[str] = []
        for name in sorted(set(self.base) | set(now)):
            old, new = self.base.get(name), now.get(name)
            if old == new:
                continue
            a = (old or b"").decode("utf-8", "replace").splitlines(keepends=True)
            b = (new or b"").decode("utf-8", "replace").splitlines(keepends=True)
            before = f"a/{name}" if old is not None else "/dev/null"
            after = f"b/{name}" if new is not None else "/dev/null"
            out.extend(difflib.unified_diff(a, b, before, after))
        return "".join(line if line.endswith("\n") else line + "\n" for line in out)

    def undo(self) -> list[str] | None:
        if not self.snapshots:
            return None
        target = self.snapshots.pop()
        now = _read_tree(self.root, self.exclude)
        changed = sorted(n for n in set(target) | set(now) if target.get(n) != now.get(n))
        for name in changed:
            path = self.root / name
            if name in target:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(target[name])
            else:
                path.unlink(missing_ok=True)
        return changed

    def close(self) -> None:
        self.snapshots.clear()


def checkpoints_for(cwd: Path, exclude: list[Path]) -> Checkpoints:
    """``exclude``: folders never checkpointed nor restored (kodo's own home, with the session
    files, when it lies inside the workspace)."""
    proc = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=cwd, capture_output=True, text=True
    )
    if proc.returncode == 0 and proc.stdout.strip():
        return GitCheckpoints(Path(proc.stdout.strip()), exclude)
    return SnapshotCheckpoints(cwd, exclude)
