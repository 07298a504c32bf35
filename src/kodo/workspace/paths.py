"""Writing and removing files under a workspace without following the symlinks in it.

Restoring a snapshot writes as the person, on the host; a model that turned a folder into a
symlink to somewhere else (``src -> ~``) must not get its earlier files written there (git's
checkout refuses the same). Every folder on the way is opened relative to the one before, with
``O_NOFOLLOW``, so a symlink swapped in meanwhile is not followed either.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def _parts(rel: str) -> tuple[str, ...]:
    parts = Path(rel).parts
    if not parts or Path(rel).is_absolute() or ".." in parts:
        raise ValueError(f"not a path inside the workspace: {rel!r}")
    return parts


def _open_folder(root: Path, parts: tuple[str, ...], *, create: bool) -> int:
    """A descriptor for ``root/parts``; with ``create``, a missing folder is made and anything
    else in the way (a file, a symlink) replaced by one, else that raises ``OSError``."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in parts:
            try:
                inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError:
                if not create:
                    raise
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(part, dir_fd=fd)
                os.mkdir(part, dir_fd=fd)
                inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def _kind(name: str, folder: int) -> int | None:
    try:
        return stat.S_IFMT(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return None


def write_file(root: Path, rel: str, data: bytes) -> None:
    """Writes ``root/rel``, replacing a symlink, folder or other non-file found there."""
    *folders, name = _parts(rel)
    folder = _open_folder(root, tuple(folders), create=True)
    try:
        kind = _kind(name, folder)
        if kind == stat.S_IFDIR:
            shutil.rmtree(name, dir_fd=folder)
        elif kind not in (None, stat.S_IFREG):
            os.unlink(name, dir_fd=folder)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK
        with os.fdopen(os.open(name, flags, 0o666, dir_fd=folder), "wb") as out:
            out.write(data)
    finally:
        os.close(folder)


def remove_file(root: Path, rel: str) -> None:
    """Removes the file or symlink ``root/rel``, if there is one; folders are left alone."""
    *folders, name = _parts(rel)
    try:
        folder = _open_folder(root, tuple(folders), create=False)
    except OSError:
        return  # its folder is gone (or is no folder), so the file is too
    try:
        if _kind(name, folder) not in (None, stat.S_IFDIR):
            os.unlink(name, dir_fd=folder)
    finally:
        os.close(folder)
