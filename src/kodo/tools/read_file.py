"""``read_file``: a text file's lines with their numbers, a page at a time. It only reads, so it
runs on the host directly, but never inside the sandbox's hidden (secret) paths."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import BinaryIO, ClassVar

from kodo.records import spec
from kodo.tools.base import ToolContext, ToolOutput, resolve_path
from kodo.tools.fs_access import (
    BINARY_SNIFF_BYTES,
    READ,
    HiddenPaths,
    looks_binary,
    open_at,
    real,
)

DEFAULT_LIMIT = 2000
MAX_LINE_CHARS = 2000
_NOTE_RESERVE = 200  # bytes kept free for the closing note


@dataclass(kw_only=True)
class ReadFileArgs:
    path: str = spec(description="File to read, relative to the working directory.")
    offset: int | None = spec(None, ge=1, description="First line to show (1-based).")
    limit: int | None = spec(
        None, ge=1, description=f"How many lines to show (default {DEFAULT_LIMIT})."
    )


def _shown(line: str) -> str:
    line = line.rstrip("\r\n")
    if len(line) > MAX_LINE_CHARS:
        return f"{line[:MAX_LINE_CHARS]} [... {len(line) - MAX_LINE_CHARS} more characters]"
    return line


def _page(f: BinaryIO, first: int, limit: int, budget: int) -> tuple[list[str], int]:
    """Numbered lines from ``first`` on, at most ``limit`` of them and ``budget`` bytes; and the
    file's total line count."""
    out: list[str] = []
    used = 0
    total = 0
    full = False
    for total, raw in enumerate(f, 1):
        if total < first or full:
            continue
        entry = f"{total:>6}\t{_shown(raw.decode('utf-8', errors='replace'))}"
        size = len(entry.encode()) + 1
        if len(out) >= limit or (out and used + size > budget):
            full = True
            continue
        out.append(entry)
        used += size
    return out, total


class ReadFileTool:
    name: ClassVar[str] = "read_file"
    description: ClassVar[str] = (
        "Read a text file; lines come numbered (number, tab, text). Long files come a page at a "
        f"time ({DEFAULT_LIMIT} lines by default): pass offset (1-based) and limit to read more."
    )
    Args: ClassVar[type] = ReadFileArgs

    def describe(self, args: ReadFileArgs) -> str:
        return f"read_file {args.path}"

    def run(self, args: ReadFileArgs, ctx: ToolContext) -> ToolOutput:
        path = resolve_path(ctx, args.path)
        target = real(path)
        refusal = HiddenPaths(ctx.config).refusal(path, target)
        if refusal:
            return ToolOutput(refusal, ok=False)
        try:
            fd = open_at(target, READ)
        except (FileNotFoundError, NotADirectoryError):
            return ToolOutput(
                f"error: {args.path} does not exist ({path}). Use list_dir to see what is there.",
                ok=False,
            )
        except OSError as exc:
            return ToolOutput(f"error: cannot read {args.path}: {exc.strerror}.", ok=False)
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            os.close(fd)
            return ToolOutput(f"error: {args.path} is a directory; use list_dir.", ok=False)
        with open(fd, "rb") as f:
            try:
                return self._read(f, args, ctx)
            except OSError as exc:  # a FIFO or device put there cannot seek, for one
                reason = exc.strerror or exc
                return ToolOutput(f"error: cannot read {args.path}: {reason}.", ok=False)

    @staticmethod
    def _read(f: BinaryIO, args: ReadFileArgs, ctx: ToolContext) -> ToolOutput:
        first = args.offset or 1
        limit = args.limit or DEFAULT_LIMIT
        max_bytes = ctx.config.tool_output_max_bytes
        head = f.read(BINARY_SNIFF_BYTES)
        if looks_binary(head):
            size = os.fstat(f.fileno()).st_size
            return ToolOutput(
                f"error: {args.path} looks like a binary file ({size} bytes); read_file shows "
                "text only. Inspect it with the shell instead (e.g. `file`, `xxd | head`).",
                ok=False,
            )
        f.seek(0)
        lines, total = _page(f, first, limit, max(max_bytes - _NOTE_RESERVE, 1))
        if total == 0:
            return ToolOutput(f"({args.path} is empty)")
        if first > total:
            return ToolOutput(
                f"error: offset {first} is past the end of {args.path}, which has {total} lines.",
                ok=False,
            )
        last = first + len(lines) - 1
        if last < total:
            note = (
                f"[lines {first}-{last} of {total}; call read_file with offset={last + 1} "
                "to read more]"
            )
        else:
            note = f"[lines {first}-{last} of {total}; end of file]"
        return ToolOutput("\n".join([*lines, note]))
