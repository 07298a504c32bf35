"""What the file tools may touch, decided the way the sandbox decides it: the sandbox's hidden
paths are never read, and writes land only where a sandboxed shell could write too.

Paths are compared after resolving symlinks, so a link inside the workspace that points
elsewhere is judged by where it points."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from kodo.config import Config
from kodo.sandbox.mounts import hidden_paths, writable_paths

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


def real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _within(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


class HiddenPaths:
    """The secret paths of a config (``hidden_paths`` and ``$KODO_HOME``), resolved once."""

    def __init__(self, config: Config) -> None:
        self.roots = hidden_paths(config)

    def covers(self, path: Path) -> bool:
        return _within(real(path), self.roots)

    def refusal(self, path: Path) -> str | None:
        """An error for the model when ``path`` is or lies in a hidden path, else None."""
        if not self.covers(path):
            return None
        return (
            f"error: {path} is hidden from kodo (it is, or is inside, one of the configured "
            "hidden_paths or $KODO_HOME, which hold secrets). It cannot be read; work without it."
        )


def write_checker(config: Config, workspace: Path) -> Callable[[Path], bool]:
    """Whether a resolved path may be written under ``config.sandbox_mode``: the workspace and
    ``writable_roots`` in workspace-write (not the host's /tmp: the sandbox's /tmp is private),
    nothing in read-only, anything in danger-full-access. Hidden paths are masked inside the
    sandbox, so they are not writable either unless the sandbox is off."""
    if config.sandbox_mode == "danger-full-access":
        return lambda path: True
    roots = [real(p) for p in writable_paths(config, workspace)]
    hidden = HiddenPaths(config)

    def can_write(path: Path) -> bool:
        resolved = real(path)
        return _within(resolved, roots) and not hidden.covers(resolved)

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
