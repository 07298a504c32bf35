"""Writing a planned change of many files to disk all or nothing.

POSIX renames one file atomically, never several, so the whole change is made undoable instead:
every new text is first written to a temporary file beside its destination (creating missing
directories, each remembered), then each destination's old file is kept under a temporary name
(a hard link, so the name itself is swapped atomically by ``os.replace``) before the new one
takes its place or the file is removed; a file that is not the one the change was planned
against (another process replaced it, or put a file, FIFO or directory where a new file goes)
fails the step instead of being overwritten. If any step fails, a late rename included (a directory
put in the way, a full disk), every step already taken is undone in reverse, the temporary files
are removed and the directories made for the change are removed again: the tree is left as it
was found. Every name is reached relative to its directory's fd (``fs_access.directory``), so a
directory swapped for a symlink meanwhile cannot send a write elsewhere."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from kodo.tools.fs_access import directory

TEMP_SUFFIX = ".kodo-tmp"


class CommitError(Exception):
    """A change that could not be written; ``path`` is where, and nothing was changed."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path
        self.reason = reason


Identity = tuple[int, int, int, int]  # a file as it was read: device, inode, size, mtime


def identity(info: os.stat_result) -> Identity:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


@dataclass
class _Step:
    path: Path
    parent: int  # fd of the directory holding ``path``
    staged: str | None  # temporary name of the new text; None: the file is removed
    expected: Identity | None  # the file planned against; None: none was there
    backup: str | None = None  # temporary name keeping the old file
    aside: bool = False  # the old file was renamed to ``backup`` (no hard links there)
    created: bool = False  # the new text took a name that held no file
    done: bool = False


def _temp_name(name: str) -> str:
    """A fresh hidden name beside ``name``, short enough for any file system."""
    stem = os.fsencode(name)[:100].decode("utf-8", "ignore")
    return f".{stem}.{secrets.token_hex(4)}{TEMP_SUFFIX}"


def _make_parents(path: Path, made: list[Path]) -> None:
    """Create the missing directories above ``path``, recording each in ``made``."""
    missing: list[Path] = []
    probe = path.parent
    while True:
        try:
            os.close(directory(probe))
            break
        except FileNotFoundError:
            missing.append(probe)
            probe = probe.parent
    for folder in reversed(missing):
        parent = directory(folder.parent)
        try:
            os.mkdir(folder.name, dir_fd=parent)
            made.append(folder)
        except FileExistsError:
            pass
        finally:
            os.close(parent)


def _stage(path: Path, data: bytes, mode: int | None, expected: Identity | None) -> _Step:
    parent = directory(path.parent)
    tmp = _temp_name(path.name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(tmp, flags, 0o666 if mode is None else mode, dir_fd=parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                if mode is not None:
                    os.fchmod(f.fileno(), mode)
        except BaseException:
            os.unlink(tmp, dir_fd=parent)
            raise
    except BaseException:
        os.close(parent)
        raise
    return _Step(path, parent, tmp, expected)


def _keep_old(step: _Step) -> None:
    """Keep the file now at ``step.path`` (if any) under a temporary name, to restore on undo.
    Refused: a directory there (a file never replaces one), or a file other than the one the
    change was planned against."""
    name, parent = step.path.name, step.parent
    backup = _temp_name(name)
    try:
        os.link(name, backup, src_dir_fd=parent, dst_dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return
    except OSError:
        try:
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "a directory is in the way") from None
        os.rename(name, backup, src_dir_fd=parent, dst_dir_fd=parent)  # no hard links here
        step.aside = True
    step.backup = backup
    info = os.stat(backup, dir_fd=parent, follow_symlinks=False)
    if identity(info) != step.expected:
        raise FileExistsError(
            errno.EEXIST,
            "it was changed by something else while the patch was being applied"
            if step.expected
            else "a file appeared there while the patch was being applied",
        )


def _swap(step: _Step) -> None:
    _keep_old(step)
    name, parent = step.path.name, step.parent
    if step.staged is not None:
        os.replace(step.staged, name, src_dir_fd=parent, dst_dir_fd=parent)
        step.staged, step.created = None, step.backup is None
    elif step.backup is not None and not step.aside:
        os.unlink(name, dir_fd=parent)
    step.done = True


def _undo(step: _Step) -> None:
    name, parent = step.path.name, step.parent
    if step.backup is not None and (step.done or step.aside):
        os.replace(step.backup, name, src_dir_fd=parent, dst_dir_fd=parent)
        step.backup = None
    elif step.created:
        os.unlink(name, dir_fd=parent)


def _discard(steps: list[_Step], made: list[Path]) -> None:
    """Remove what is left of the change: temporary files, backups, made directories."""
    for step in steps:
        for tmp in (step.staged, step.backup):
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=step.parent)
        os.close(step.parent)
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            parent = directory(folder.parent)
            try:
                os.rmdir(folder.name, dir_fd=parent)
            finally:
                os.close(parent)


def commit(
    final: dict[Path, bytes | None], modes: dict[Path, int], seen: dict[Path, Identity]
) -> None:
    """Make each path hold its bytes (None: removed), in order, all or none: CommitError
    (naming the path) after undoing every step taken. ``modes``: permission bits to give;
    ``seen``: the identity of each file the change was planned against (absent: no file)."""
    steps: list[_Step] = []
    made: list[Path] = []
    current = next(iter(final), Path("/"))
    try:
        for current, data in final.items():
            if data is None:
                try:
                    parent = directory(current.parent)
                    steps.append(_Step(current, parent, None, seen.get(current)))
                except FileNotFoundError:
                    continue  # already gone
            else:
                _make_parents(current, made)
                steps.append(_stage(current, data, modes.get(current), seen.get(current)))
        for step in steps:
            current = step.path
            _swap(step)
    except BaseException as exc:  # an interrupt (Ctrl-C) is undone too, then goes on
        undo_failed = _rollback(steps)
        _discard(steps, made)
        if not isinstance(exc, OSError):
            raise
        reason = exc.strerror or str(exc)
        if undo_failed:
            reason += f"; and could not restore {', '.join(map(str, undo_failed))}"
        raise CommitError(current, reason) from exc
    _discard(steps, [])


def _rollback(steps: list[_Step]) -> list[Path]:
    """Undo the steps taken, newest first; the paths that could not be restored."""
    failed: list[Path] = []
    for step in reversed(steps):
        try:
            _undo(step)
        except OSError:
            failed.append(step.path)
    return failed
