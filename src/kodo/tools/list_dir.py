"""``list_dir``: a directory tree to a given depth, without version-control, dependency and cache
directories, and without the sandbox's hidden (secret) paths."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from kodo.records import spec
from kodo.tools.base import ToolContext, ToolOutput, resolve_path
from kodo.tools.fs_access import LIST, SKIP_DIRS, HiddenPaths, open_at, real

MAX_ENTRIES = 400


@dataclass(kw_only=True)
class ListDirArgs:
    path: str = spec(".", description="Directory to list, relative to the working directory.")
    depth: int = spec(2, ge=1, le=10, description="How many levels deep to list.")


@dataclass
class _Listing:
    hidden: HiddenPaths
    depth: int
    lines: list[str] = field(default_factory=list)
    total: int = 0
    skipped: set[str] = field(default_factory=set)

    def add(self, line: str) -> None:
        self.total += 1
        if len(self.lines) < MAX_ENTRIES:
            self.lines.append(line)

    def walk(self, fd: int, directory: Path, level: int) -> None:
        """List the open directory ``fd`` (at resolved path ``directory``), and below it through
        subdirectories opened relative to it, never through a symlink."""
        indent = "  " * level
        try:
            with os.scandir(fd) as it:
                entries = sorted(it, key=lambda e: (not _is_dir(e), e.name))
        except OSError as exc:
            self.add(f"{indent}[cannot list: {exc.strerror}]")
            return
        for entry in entries:
            is_dir = _is_dir(entry)
            if is_dir and entry.name in SKIP_DIRS:
                self.skipped.add(entry.name)
                continue
            if self.hidden.covers(directory / entry.name):
                continue
            if entry.is_symlink():
                self.add(f"{indent}{entry.name}{'/' if is_dir else ''} -> {_link(fd, entry)}")
            elif is_dir:
                self.add(f"{indent}{entry.name}/")
                if level < self.depth:
                    self.walk_into(fd, directory, entry.name, level + 1)
            else:
                self.add(f"{indent}{entry.name}")

    def walk_into(self, fd: int, directory: Path, name: str, level: int) -> None:
        try:
            sub = os.open(name, LIST, dir_fd=fd)
        except OSError as exc:
            self.add(f"{'  ' * level}[cannot list: {exc.strerror}]")
            return
        try:
            self.walk(sub, directory / name, level)
        finally:
            os.close(sub)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _link(fd: int, entry: os.DirEntry[str]) -> str:
    try:
        return os.readlink(entry.name, dir_fd=fd)
    except OSError:
        return "?"


class ListDirTool:
    name: ClassVar[str] = "list_dir"
    description: ClassVar[str] = (
        "List a directory as a tree (directories end with '/'), to the given depth. Skips .git, "
        "node_modules, __pycache__, virtualenvs and caches."
    )
    Args: ClassVar[type] = ListDirArgs

    def describe(self, args: ListDirArgs) -> str:
        return f"list_dir {args.path}"

    def run(self, args: ListDirArgs, ctx: ToolContext) -> ToolOutput:
        path = resolve_path(ctx, args.path)
        target = real(path)
        hidden = HiddenPaths(ctx.config)
        refusal = hidden.refusal(path, target)
        if refusal:
            return ToolOutput(refusal, ok=False)
        try:
            fd = open_at(target, LIST)
        except (FileNotFoundError, NotADirectoryError):
            if not os.path.lexists(target):
                return ToolOutput(f"error: {args.path} does not exist ({path}).", ok=False)
            return ToolOutput(
                f"error: {args.path} is a file, not a directory; use read_file.", ok=False
            )
        except OSError as exc:
            return ToolOutput(f"error: cannot list {args.path}: {exc.strerror}.", ok=False)
        listing = _Listing(hidden, args.depth)
        try:
            listing.walk(fd, target, 1)
        finally:
            os.close(fd)
        lines = [f"{args.path.rstrip('/') or '/'}/", *listing.lines]
        if not listing.lines:
            lines.append("  (empty)")
        left_out = listing.total - len(listing.lines)
        if left_out:
            lines.append(
                f"[{left_out} more entries not shown; list a subdirectory or use a smaller depth]"
            )
        if listing.skipped:
            names = ", ".join(f"{n}/" for n in sorted(listing.skipped))
            lines.append(f"[not listed: {names}]")
        return ToolOutput("\n".join(lines))
