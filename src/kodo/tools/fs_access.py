"""What the file tools may touch, decided the way the sandbox decides it: the sandbox's hidden
paths are never read, and writes land only where a sandboxed shell could write too.

Paths are compared after resolving symlinks, so a link inside the workspace that points
elsewhere is judged by where it points. These tools run on the host while a sandboxed process may
be rewriting the workspace, so a path checked and then opened by name could have a directory
swapped for a symlink in between: the tools decide on the resolved path and then reach exactly
that path with ``open_at`` or ``directory``, which follow no symlink at all, so a swap makes the
call fail instead of leading it elsewhere."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from kodo.config import Config
from kodo.sandbox.mounts import hidden_paths, shown_in_hidden, writable_paths

# Directories that are tool state or dependencies, not the project: listing or searching them
# floods the output.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".eggs",
        ".idea",
        ".cache",
    }
)

BINARY_SNIFF_BYTES = 8192

# Flags for opening a name relative to a directory fd: never through a symlink. O_PATH: walking
# through a directory needs only search permission on it, as realpath's does; O_NONBLOCK: a FIFO
# put where a file was must not hang the tool.
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC
_WALK = os.O_DIRECTORY | _NOFOLLOW | getattr(os, "O_PATH", os.O_RDONLY)
READ = os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW
LIST = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW


def real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def directory(path: Path, *, create: bool = False) -> int:
    """An fd of the directory at the resolved, absolute ``path``, reached from ``/`` one
    component at a time without following any symlink (``create``: making missing ones). The
    caller closes it."""
    fd = os.open("/", _WALK)
    try:
        for name in path.relative_to("/").parts:
            try:
                step = os.open(name, _WALK, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, dir_fd=fd)
                step = os.open(name, _WALK, dir_fd=fd)
            os.close(fd)
            fd = step
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_at(path: Path, flags: int) -> int:
    """Open the resolved, absolute ``path`` without following a symlink on the way or at the
    end: a component swapped for a link fails the call (ELOOP, ENOTDIR)."""
    parent = directory(path.parent)
    try:
        return os.open(path.name or ".", flags | _NOFOLLOW, dir_fd=parent)
    finally:
        os.close(parent)


def _within(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


class HiddenPaths:
    """The secret paths of a config (``hidden_paths`` and ``$KODO_HOME``), resolved once, and
    the folders inside them that stay readable (``shown_in_hidden``: the person's skills), as
    the sandbox mounts them."""

    def __init__(self, config: Config) -> None:
        self.roots = hidden_paths(config)
        self.shown = shown_in_hidden(config)

    def _hidden(self, path: Path) -> bool:
        return any(
            _within(path, [root])
            and not any(_within(path, [s]) and s.is_relative_to(root) for s in self.shown)
            for root in self.roots
        )

    def covers(self, path: Path) -> bool:
        """Whether ``path``, as written or with its symlinks resolved, is or lies in a hidden
        path (and not in a folder shown inside it)."""
        return self._hidden(path) or self._hidden(real(path))

    def refusal(self, path: Path, target: Path) -> str | None:
        """An error for the model when ``target`` (``path`` resolved: what the tool will open)
        is or lies in a hidden path, else None."""
        if not self.covers(target):
            return None
        return (
            f"error: {path} is hidden from kodo (it is, or is inside, one of the configured "
            "hidden_paths or $KODO_HOME, which hold secrets). It cannot be read; work without it."
        )


def write_checker(config: Config, workspace: Path) -> Callable[[Path], bool]:
    """Whether a resolved path may be written under ``config.sandbox_mode``: the workspace and
    ``writable_roots`` in workspace-write (not the host's /tmp: the sandbox's /tmp is private),
    nothing in read-only, anything in danger-full-access. Hidden paths are masked inside the
    sandbox, so they are not writable either unless the sandbox is off. The path is judged as
    given, not resolved again: the caller writes exactly it, through ``directory``."""
    if config.sandbox_mode == "danger-full-access":
        return lambda path: True
    roots = [real(p) for p in writable_paths(config, workspace)]
    hidden = HiddenPaths(config)

    def can_write(path: Path) -> bool:
        return _within(path, roots) and not _within(path, hidden.roots)

    return can_write


def looks_binary(head: bytes) -> bool:
    """NUL bytes do not occur in text files of any common encoding but UTF-16/32."""
    return b"\0" in head


def shown_path(path: Path, cwd: Path) -> str:
    """Relative to the working directory when inside it, absolute otherwise."""
    try:
        rel = path.relative_to(cwd)
    except ValueError:
        return str(path)
    return str(rel) if str(rel) != "." else "."
