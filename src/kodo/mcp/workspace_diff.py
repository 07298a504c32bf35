"""What a task changed in a directory, as a unified diff.

In a git work tree the state before and after is recorded as two tree objects written through a
throwaway index, so the diff holds only the task's own changes (not edits that were there
before), includes new untracked files, honours .gitignore and leaves the real index alone.
Elsewhere the files are read into memory before the task and compared after it.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

MAX_FILE_BYTES = 1_000_000
MAX_FILES = 5_000
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv"}


class WorkspaceSnapshot:
    """Taken before the task; ``diff()`` after it says what changed since."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._git_top = _git_top(root)
        if self._git_top is not None:
            self._tree = _git_tree(self._git_top)
            self._files: dict[str, bytes | None] = {}
        else:
            self._files = _read_files(root)

    def diff(self) -> str:
        if self._git_top is not None:
            after = _git_tree(self._git_top)
            return _git(self._git_top, "diff", "--no-color", "--no-ext-diff", self._tree, after)
        return _files_diff(self._files, _read_files(self.root))


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout


def _git_top(path: Path) -> Path | None:
    if shutil.which("git") is None:
        return None
    try:
        top = _git(path, "rev-parse", "--show-toplevel").strip()
    except subprocess.CalledProcessError:
        return None
    return Path(top) if top else None


def _git_tree(top: Path) -> str:
    """The work tree as it is now, written as a tree object via a temporary index."""
    real_index = Path(top, _git(top, "rev-parse", "--git-path", "index").strip())
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp, "index")
        if real_index.is_file():
            shutil.copyfile(real_index, index)  # its stat cache spares rehashing unchanged files
        env = {**os.environ, "GIT_INDEX_FILE": str(index)}
        _git(top, "add", "--all", "--", ".", env=env)
        return _git(top, "write-tree", env=env).strip()


def _read_files(root: Path) -> dict[str, bytes | None]:
    """Relative path -> content; None for a file too large to compare."""
    files: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if not path.is_file() or len(files) >= MAX_FILES:
                continue
            rel = path.relative_to(root).as_posix()
            try:
                size = path.stat().st_size
                files[rel] = path.read_bytes() if size <= MAX_FILE_BYTES else None
            except OSError:
                continue
    return files


def _files_diff(before: dict[str, bytes | None], after: dict[str, bytes | None]) -> str:
    parts = []
    for rel in sorted(before.keys() | after.keys()):
        old, new = before.get(rel, b""), after.get(rel, b"")
        if (rel in before) == (rel in after) and old == new:
            continue  # unchanged, or too large to compare both times
        parts.append(_file_diff(rel, old, new))
    return "".join(parts)


def _file_diff(rel: str, old: bytes | None, new: bytes | None) -> str:
    if old is None or new is None:
        return f"Large file {rel} changed\n"
    try:
        old_lines = old.decode("utf-8").splitlines(keepends=True)
        new_lines = new.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return f"Binary file {rel} changed\n"
    lines = difflib.unified_diff(old_lines, new_lines, f"a/{rel}", f"b/{rel}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
