"""Snapshots of a git work tree as tree objects in a private repository of kodo's own.

The repository lives in a temporary folder outside the workspace (the sandbox gets a /tmp of its
own, so it cannot reach it) and git is pointed at it with ``GIT_DIR``, the work tree with
``GIT_WORK_TREE``: git never opens the workspace's ``.git``, so nothing configured there (hooks,
fsmonitor, filter and diff drivers, includes, alternates, an index crafted to hide a change) has
any effect, and the person's branch, index and objects are never touched. Its
``info/attributes``, which outranks every ``.gitattributes``, unsets the attributes that pick
drivers or rewrite content, so a snapshot holds the files byte for byte. ``.gitignore`` is
honoured; ``info/exclude`` as it was when the snapshots began.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from kodo.workspace.errors import SnapshotError
from kodo.workspace.git import GitError, run_git
from kodo.workspace.paths import remove_file
from kodo.workspace.repo import GitWorktree

NEUTRAL_ATTRIBUTES = b"* -text !filter !diff !merge !ident !working-tree-encoding\n"


class GitTrees:
    """Each ``take`` hashes the work tree through a private index (only changed files are hashed
    again) and returns the id of its tree."""

    def __init__(self, worktree: GitWorktree, exclude: Iterable[Path] = ()) -> None:
        self.root = worktree.top
        self._dir = Path(tempfile.mkdtemp(prefix="kodo-snapshots-"))
        for folder in ("objects", "refs", "info"):
            (self._dir / folder).mkdir()
        (self._dir / "HEAD").write_text("ref: refs/heads/snapshots\n")
        (self._dir / "config").write_text("[core]\n\trepositoryformatversion = 0\n")
        (self._dir / "info" / "attributes").write_bytes(NEUTRAL_ATTRIBUTES)
        (self._dir / "info" / "exclude").write_bytes(worktree.exclude)
        self._env = {"GIT_DIR": str(self._dir), "GIT_WORK_TREE": str(self.root)}
        skipped = (_inside(path, self.root) for path in (*exclude, self._dir))
        self._pathspec = [".", *(f":(exclude,literal){rel}" for rel in skipped if rel)]

    def _git(self, *args: str, index: str = "index", stdin: bytes | None = None) -> bytes:
        env = self._env | {"GIT_INDEX_FILE": str(self._dir / index)}
        try:
            return run_git(args, cwd=self.root, env=env, stdin=stdin)
        except GitError as exc:
            raise SnapshotError(str(exc)) from exc

    def take(self) -> str:
        """Not ``git add --all``: for a nested repository that runs ``git status`` inside it,
        which obeys that repository's configuration. Paths gone (or now behind a symlink) are
        dropped, then every listed path is handed to ``update-index``, which records a nested
        repository as its commit without entering it."""
        gone = self._git(
            *("diff-files", "-z", "--name-only", "--diff-filter=D", "--ignore-submodules=dirty"),
            *("--", *self._pathspec),
        )
        self._git("update-index", "--force-remove", "-z", "--stdin", stdin=gone)
        listed = self._git(
            "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *self._pathspec
        )
        paths = b"\0".join(path.rstrip(b"/") for path in listed.split(b"\0") if path)
        self._git("update-index", "--add", "--remove", "--replace", "-z", "--stdin", stdin=paths)
        return self._git("write-tree").decode().strip()

    def diff(self, old: str, new: str) -> str:
        out = self._git("diff", "--no-color", "--no-ext-diff", "--no-textconv", old, new)
        return out.decode("utf-8", "replace")

    def patch(self, old: str, new: str) -> bytes:
        """What changed from ``old`` to ``new`` as a patch ``git apply`` accepts, byte exact."""
        return self._git(
            "diff", "--binary", "--no-color", "--no-ext-diff", "--no-textconv", old, new
        )

    def _names(self, old: str, new: str, *extra: str) -> list[str]:
        out = self._git("diff", "--name-only", "-z", "--no-renames", *extra, old, new)
        return [os.fsdecode(name) for name in out.split(b"\0") if name]

    def restore(self, target: str) -> list[str]:
        """Puts the files back as they were in ``target``; returns the paths it changed. The
        checkout goes through a second index so the first keeps its stat cache."""
        current = self.take()
        changed = self._names(target, current)
        added = set(self._names(target, current, "--diff-filter=A"))
        kept = [name for name in changed if name not in added]
        if kept:
            self._git("read-tree", target, index="restore-index")
            paths = b"\0".join(os.fsencode(name) for name in kept)
            self._git("checkout-index", "-f", "-z", "--stdin", index="restore-index", stdin=paths)
        for name in added:
            remove_file(self.root, name)
        return changed

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


def _inside(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` when it lies inside it (and is not ``root``), else None."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return rel.as_posix() if rel.parts else None
