"""``list_dir``: a directory tree to a given depth, without version-control, dependency and cache
directories, and without the sandbox's hidden (secret) paths."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field

from kodo.text import cap_middle
from kodo.tools.base import ToolContext, ToolOutput, resolve_path
from kodo.tools.fs_access import SKIP_DIRS, HiddenPaths

MAX_ENTRIES = 400


class ListDirArgs(BaseModel):
    path: str = Field(".", description="Directory to list, relative to the working directory.")
    depth: int = Field(2, ge=1, le=10, description="How many levels deep to list.")


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

    def walk(self, directory: Path, level: int) -> None:
        indent = "  " * level
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: (not _is_dir(e), e.name))
        except OSError as exc:
            self.add(f"{indent}[cannot list: {exc.strerror}]")
            return
        for entry in entries:
            is_dir = _is_dir(entry)
            if is_dir and entry.name in SKIP_DIRS:
                self.skipped.add(entry.name)
                continue
            if self.hidden.covers(Path(entry.path)):
                continue
            if entry.is_symlink():
                self.add(f"{indent}{entry.name}{'/' if is_dir else ''} -> {_link(entry)}")
            elif is_dir:
                self.add(f"{indent}{entry.name}/")
                if level < self.depth:
                    self.walk(Path(entry.path), level + 1)
            else:
                self.add(f"{indent}{entry.name}")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _link(entry: os.DirEntry[str]) -> str:
    try:
        return os.readlink(entry.path)
    except OSError:
        return "?"


class ListDirTool:
    name: ClassVar[str] = "list_dir"
    description: ClassVar[str] = (
        "List a directory as a tree (directories end with '/'), to the given depth. Skips .git, "
        "node_modules, __pycache__, virtualenvs and caches."
    )
    Args: ClassVar[type[BaseModel]] = ListDirArgs

    def run(self, args: ListDirArgs, ctx: ToolContext) -> ToolOutput:
        path = resolve_path(ctx, args.path)
        hidden = HiddenPaths(ctx.config)
        refusal = hidden.refusal(path)
        if refusal:
            return ToolOutput(refusal, ok=False)
        if not path.exists():
            return ToolOutput(f"error: {args.path} does not exist ({path}).", ok=False)
        if not path.is_dir():
            return ToolOutput(
                f"error: {args.path} is a file, not a directory; use read_file.", ok=False
            )
        listing = _Listing(hidden, args.depth)
        listing.walk(path, 1)
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
        text = cap_middle("\n".join(lines), ctx.config.tool_output_max_bytes)
        return ToolOutput(text, metadata={"entries": listing.total, "left_out": left_out})
