"""Snapshots of a folder that is no git work tree: its files' contents, kept in memory.

Version-control and dependency folders are skipped, and so are symlinks (a link to a file outside
the workspace must not pull that file into a diff); a file over ``MAX_FILE_BYTES`` is recorded
without its content, so it can be reported as changed but is neither restored nor removed. Files
are opened relative to their folder, without following symlinks and without blocking on a FIFO.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from kodo.workspace.errors import SnapshotError
from kodo.workspace.paths import remove_file, write_file

SKIP_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache"}
)
MAX_FILE_BYTES = 1_000_000
MAX_SNAPSHOT_BYTES = 50_000_000

Files = dict[str, bytes | None]
"""Relative path -> content; None for a file too large to keep."""


class FileCopies:
    def __init__(self, root: Path, exclude: Iterable[Path] = ()) -> None:
        self.root = root
        self._exclude = {path.resolve() for path in exclude}

    def take(self) -> Files:
        files: Files = {}
        total = 0
        for folder, dirs, names, folder_fd in os.fwalk(self.root):
            dirs[:] = sorted(
                d
                for d in dirs
                if d not in SKIP_DIRS and Path(folder, d).resolve() not in self._exclude
            )
            for name, data in _contents(names, folder_fd):
                total += len(data or b"")
                if total > MAX_SNAPSHOT_BYTES:
                    raise SnapshotError("the workspace is too large to snapshot without git")
                files[Path(folder, name).relative_to(self.root).as_posix()] = data
        return files

    def diff(self, old: Files, new: Files) -> str:
        return "".join(
            _file_diff(rel, old, new)
            for rel in sorted(old.keys() | new.keys())
            if rel not in old or rel not in new or old[rel] != new[rel]
        )

    def restore(self, target: Files) -> list[str]:
        """Puts the files back as they were in ``target``; returns the paths it changed."""
        now = self.take()
        changed = []
        for rel in sorted(target.keys() | now.keys()):
            if rel in target:
                data = target[rel]
                if data is None or (rel in now and now[rel] == data):
                    continue
                write_file(self.root, rel, data)
            elif now[rel] is None:
                continue
            else:
                remove_file(self.root, rel)
            changed.append(rel)
        return changed

    def close(self) -> None:
        pass  # nothing outside this object holds the copies


def _contents(names: list[str], folder_fd: int) -> Iterator[tuple[str, bytes | None]]:
    """Each regular file among ``names`` with its content (None when too large to keep)."""
    for name in sorted(names):
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder_fd)
        except OSError:
            continue  # a symlink, a file gone meanwhile, or one kodo may not read
        with os.fdopen(fd, "rb") as file:
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode):
                yield name, file.read() if info.st_size <= MAX_FILE_BYTES else None


def _lines(data: bytes) -> list[str] | None:
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None


def _file_diff(rel: str, old: Files, new: Files) -> str:
    before, after = old.get(rel, b""), new.get(rel, b"")
    if before is None or after is None:
        return f"Large file {rel} changed\n"
    a, b = _lines(before), _lines(after)
    if a is None or b is None:
        return f"Binary file {rel} changed\n"
    lines = difflib.unified_diff(
        a, b, f"a/{rel}" if rel in old else "/dev/null", f"b/{rel}" if rel in new else "/dev/null"
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
