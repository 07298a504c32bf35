"""Turn PATHS (files, directories, ``-``, .gz) into text sources read in bounded chunks.

Chunks always end on a line boundary, so a 1 GB log never sits in memory and the scanner can
search a whole chunk at once. Memory is bounded by ``MAX_LINE_CHARS``, not by the longest line:
the rest of an over-long line is skipped. Inputs that cannot be read are reported per path and
the others are still analysed.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

CHUNK_BYTES = 4 * 1024 * 1024
MAX_LINE_CHARS = 1024 * 1024
SNIFF_BYTES = 8192
GZIP_MAGIC = b"\x1f\x8b"
UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}

Progress = Callable[[int], None]


class InputError(Exception):
    """A path that cannot be read; the message names the path and the reason."""


@dataclass(frozen=True)
class Source:
    name: str
    path: Path | None  # None for stdin

    def open_binary(self) -> IO[bytes]:
        if self.path is None:
            return sys.stdin.buffer
        return self.path.open("rb")


@dataclass
class ReadStats:
    """What reading one source revealed about it (reported, never fatal)."""

    bytes_read: int = 0
    chars: int = 0
    encoding: str = "utf-8"
    binary: bool = False
    long_lines: int = 0


@dataclass
class Expanded:
    sources: list[Source]
    problems: list[str] = field(default_factory=list)


def expand(paths: list[str]) -> Expanded:
    """Resolve PATHS to readable sources; every path that cannot be used becomes a problem."""
    if not paths:
        raise InputError("no input paths given")
    out = Expanded([])
    for p in paths:
        if p == "-":
            out.sources.append(Source("<stdin>", None))
            continue
        path = Path(p)
        if path.is_dir():
            _expand_dir(path, out)
            continue
        problem = _unreadable(path)
        if problem:
            out.problems.append(problem)
        else:
            out.sources.append(Source(str(path), path))
    return out


def _expand_dir(root: Path, out: Expanded) -> None:
    found: list[Path] = []

    def walk_error(exc: OSError) -> None:
        out.problems.append(f"{exc.filename}: cannot list directory: {exc.strerror or exc}")

    for dirpath, dirnames, filenames in os.walk(root, onerror=walk_error):
        dirnames.sort()
        found.extend(Path(dirpath) / f for f in filenames)
    files = sorted(f for f in found if not f.is_dir())
    if not files and not out.problems:
        out.problems.append(f"{root}: directory contains no files")
    for f in files:
        problem = _unreadable(f)
        if problem:
            out.problems.append(problem)
        else:
            out.sources.append(Source(str(f), f))


def _unreadable(path: Path) -> str | None:
    if not path.exists():
        return f"{path}: no such file or directory"
    if not path.is_file():
        return f"{path}: not a regular file or directory"
    if not os.access(path, os.R_OK):
        return f"{path}: permission denied"
    return None


def chunks(
    source: Source, stats: ReadStats | None = None, progress: Progress | None = None
) -> Iterator[str]:
    """Yield text chunks of about CHUNK_BYTES, each ending at a newline; raises InputError."""
    stats = stats if stats is not None else ReadStats()
    try:
        with source.open_binary() as raw:
            yield from decode_stream(raw, stats, progress)
    except (zlib.error, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{source.name}: cannot read: corrupt gzip stream ({exc})") from exc
    except OSError as exc:
        raise InputError(f"{source.name}: cannot read: {exc.strerror or exc}") from exc


def decode_stream(
    raw: IO[bytes], stats: ReadStats, progress: Progress | None = None
) -> Iterator[str]:
    """Sniff gzip/UTF-16/binary, then decode incrementally and cut at line boundaries."""
    counted = _Counting(raw, stats, progress)
    head = counted.peek(SNIFF_BYTES)
    stream: _Counting | gzip.GzipFile = counted
    if head[:2] == GZIP_MAGIC:
        stream = gzip.GzipFile(fileobj=counted)
        head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    stats.encoding = _encoding(head)
    if stats.encoding == "binary":
        stats.binary = True
        return
    decoder = codecs.getincrementaldecoder(stats.encoding)(errors="replace")
    tail = ""
    skipping = False  # inside the unkept rest of an over-long line
    while True:
        block = stream.read(CHUNK_BYTES)
        text = decoder.decode(block, final=not block)
        if text.startswith("\ufeff") and stats.chars == 0:
            text = text[1:]
        stats.chars += len(text)
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        if skipping:
            cut = text.find("\n")
            if cut < 0:
                text = ""
            else:
                text, skipping = text[cut:], False
        text = tail + text
        cut = text.rfind("\n")
        if cut >= 0:
            tail = text[cut + 1 :]
            yield text[: cut + 1]
        else:
            tail = text
        if len(tail) > MAX_LINE_CHARS:
            tail, skipping = tail[:MAX_LINE_CHARS], True
            stats.long_lines += 1
            yield tail + "\n"
            tail = ""
        if not block:
            break
    if tail:
        yield tail + "\n"


def _encoding(head: bytes) -> str:
    """UTF-16 by BOM or by its NUL-every-other-byte shape; NULs elsewhere mean binary data."""
    for bom, enc in UTF16_BOMS.items():
        if head.startswith(bom):
            return enc
    if b"\0" not in head:
        return "utf-8"
    even, odd = head[0::2], head[1::2]
    if odd and odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even and even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return "binary"


class _Counting(io.RawIOBase):
    """Counts bytes as they are read (for progress) and offers peek() on any stream."""

    def __init__(self, raw: IO[bytes], stats: ReadStats, progress: Progress | None) -> None:
        self._raw = raw
        self._stats = stats
        self._progress = progress
        self._buffered = b""

    def readable(self) -> bool:
        return True

    def peek(self, n: int) -> bytes:
        while len(self._buffered) < n:
            more = self._raw.read(n - len(self._buffered))
            if not more:
                break
            self._buffered += more
        return self._buffered[:n]

    def readinto(self, buf: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._buffered:
            data, self._buffered = self._buffered[: len(buf)], self._buffered[len(buf) :]
        else:
            data = self._raw.read(len(buf))
        n = len(data)
        buf[:n] = data
        self._stats.bytes_read += n
        if self._progress is not None and n:
            self._progress(n)
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = CHUNK_BYTES
        buf = bytearray(size)
        n = self.readinto(buf)
        return bytes(buf[:n])
