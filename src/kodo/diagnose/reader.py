"""Turn PATHS (files, directories, ``-``, .gz) into text sources read in bounded chunks.

Chunks always end on a line boundary, so a 1 GB log never sits in memory and the scanner can
search a whole chunk with one regex instead of paying Python overhead per line.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

CHUNK_BYTES = 4 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"


class InputError(Exception):
    """A path that cannot be read; the message names the path and the reason."""


@dataclass(frozen=True)
class Source:
    name: str
    path: Path | None  # None for stdin

    def open(self) -> IO[str]:
        if self.path is None:
            raw: IO[bytes] = sys.stdin.buffer
            head = raw.peek(2)[:2] if isinstance(raw, io.BufferedReader) else b""
        else:
            raw = self.path.open("rb")
            head = raw.read(2)
            raw.seek(0)
        if head == GZIP_MAGIC:
            raw = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
        return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=None)


def expand(paths: list[str]) -> list[Source]:
    """Resolve PATHS to sources, failing early on the first one that cannot be read."""
    if not paths:
        raise InputError("no input paths given")
    sources: list[Source] = []
    for p in paths:
        if p == "-":
            sources.append(Source("<stdin>", None))
            continue
        path = Path(p)
        if path.is_dir():
            try:
                files = sorted(f for f in path.rglob("*") if f.is_file())
            except OSError as exc:
                raise InputError(f"{p}: cannot list directory: {exc.strerror or exc}") from exc
            if not files:
                raise InputError(f"{p}: directory contains no files")
            for f in files:
                _check_readable(f)
                sources.append(Source(str(f), f))
            continue
        _check_readable(path)
        sources.append(Source(str(path), path))
    return sources


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file or directory")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied")


def chunks(source: Source) -> Iterator[str]:
    """Yield text chunks of about CHUNK_BYTES, each ending at a newline (except maybe the last)."""
    try:
        with source.open() as fh:
            tail = ""
            while True:
                block = fh.read(CHUNK_BYTES)
                if not block:
                    break
                block = tail + block
                cut = block.rfind("\n")
                if cut < 0:
                    tail = block
                    continue
                tail = block[cut + 1 :]
                yield block[: cut + 1]
            if tail:
                yield tail + "\n"
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{source.name}: cannot read: {exc}") from exc
