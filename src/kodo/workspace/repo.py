"""Which git work tree a directory belongs to, found without running git in it.

Discovery reads only ``.git`` itself: a directory with a ``HEAD``, or a file saying
``gitdir: PATH`` (linked worktrees and submodules). The git directory found that way is never
handed to git, so a ``.git`` file pointing at another repository cannot make kodo use that
repository's configuration, hooks, index or objects; kodo reads one file from it, the
``info/exclude`` patterns, so that files the person excluded stay out of snapshots.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_READ_BYTES = 1_000_000


@dataclass(frozen=True)
class GitWorktree:
    top: Path
    exclude: bytes  # the repository's info/exclude patterns, b"" when it has none


def find_worktree(path: Path) -> GitWorktree | None:
    """The work tree holding ``path`` (the nearest folder at or above it with a ``.git``)."""
    start = path.resolve()
    for folder in (start, *start.parents):
        git_dir = _git_dir(folder / ".git")
        if git_dir is not None:
            common = git_dir
            pointer = _read_regular(git_dir / "commondir")
            if pointer is not None:
                common = git_dir / os.fsdecode(pointer.strip())
            return GitWorktree(folder, _read_regular(common / "info" / "exclude") or b"")
    return None


def _git_dir(dot_git: Path) -> Path | None:
    if dot_git.is_dir():
        return dot_git if (dot_git / "HEAD").is_file() else None
    text = _read_regular(dot_git)
    if text is None or not text.startswith(b"gitdir:"):
        return None
    return dot_git.parent / os.fsdecode(text[len(b"gitdir:") :].strip())


def _read_regular(path: Path, limit: int = MAX_READ_BYTES) -> bytes | None:
    """The content of a regular file of at most ``limit`` bytes, else None. Never blocks on a
    FIFO or device planted where a file was expected."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return file.read(limit)
