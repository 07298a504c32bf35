"""``search``: lines matching a regular expression, as ``path:line:text``. Uses ripgrep when it is
installed (run on the host: it only reads), else a pure-Python walk. Both skip version-control,
dependency and cache directories, binary files and the sandbox's hidden (secret) paths; ripgrep
also honours ``.gitignore``.

Both search the directory opened once, without following symlinks (see ``fs_access``). ripgrep
still opens what it walks by name, so a directory swapped for a symlink mid-search could lead it
anywhere: each line it reports is read again from the file at that name below the search root,
opened the safe way, and kept only when it is the same line there."""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar

from kodo.records import spec
from kodo.tools.base import ToolContext, ToolOutput, resolve_path
from kodo.tools.fs_access import (
    BINARY_SNIFF_BYTES,
    LIST,
    READ,
    SKIP_DIRS,
    HiddenPaths,
    directory,
    looks_binary,
    open_at,
    real,
    shown_path,
)

TIMEOUT_S = 30.0
MAX_LINE_CHARS = 300


@dataclass(kw_only=True)
class SearchArgs:
    pattern: str = spec(description="Regular expression to look for in each line.")
    path: str = spec(".", description="File or directory to search, relative to the cwd.")
    glob: str | None = spec(
        None, description="Only files matching this glob, e.g. '*.py' or 'src/**/*.ts'."
    )
    case_sensitive: bool = spec(True, description="false: ignore case.")
    max_results: int = spec(100, ge=1, le=2000, description="Stop after this many matches.")


@dataclass
class _Root:
    """What to search: ``what`` ("." or a file's name) in the open directory ``fd``, whose
    resolved path is ``directory``; ``shown`` is the root as the model named it."""

    fd: int
    what: str
    directory: Path
    shown: str

    @classmethod
    def open(cls, target: Path, shown: str) -> _Root:
        try:
            return cls(open_at(target, LIST), ".", target, shown)
        except NotADirectoryError:
            return cls(directory(target.parent), target.name, target.parent, shown)

    def show(self, rel: str) -> str:
        """How a file ``rel`` below the root is named in results."""
        return str(Path(self.shown, rel)) if self.what == "." else self.shown


@dataclass
class _Found:
    matches: list[str] = field(default_factory=list)
    more: bool = False
    timed_out: bool = False
    problems: list[str] = field(default_factory=list)


def _clip(text: str) -> str:
    text = text.rstrip("\r\n")
    if len(text) > MAX_LINE_CHARS:
        return f"{text[:MAX_LINE_CHARS]} [... {len(text) - MAX_LINE_CHARS} more characters]"
    return text


class _Collector:
    def __init__(self, found: _Found, limit: int) -> None:
        self.found = found
        self.limit = limit

    def add(self, path: str, line: int, text: str) -> bool:
        """Record a match; False once the limit is passed (the caller stops)."""
        if len(self.found.matches) >= self.limit:
            self.found.more = True
            return False
        self.found.matches.append(f"{path}:{line}:{_clip(text)}")
        return True


def _rg_argv(rg: str, args: SearchArgs, target: str) -> list[str]:
    argv = [
        rg,
        "--no-config",
        "--line-number",
        "--with-filename",
        "--no-heading",
        "--color=never",
        "--null",
        "--hidden",
        "--sort=path",
        "--case-sensitive" if args.case_sensitive else "--ignore-case",
    ]
    for name in sorted(SKIP_DIRS):
        argv += ["--glob", f"!{name}"]
    if args.glob:
        argv += ["--glob", args.glob]
    return [*argv, "--regexp", args.pattern, "--", target]


class _Reread:
    """The lines ripgrep reports, read again below the search root without following symlinks;
    for one file they are asked for in line order, as ripgrep prints them."""

    def __init__(self, root: _Root, hidden: HiddenPaths) -> None:
        self.root = root
        self.hidden = hidden
        self.name = ""
        self.file: BinaryIO | None = None
        self.number = 0

    def line(self, name: str, number: int) -> bytes | None:
        """Line ``number`` of file ``name`` without its line ending; None if there is none."""
        if name != self.name:
            self.close()
            self.name = name
            path = self.root.directory / name
            if not self.hidden.covers(path):
                with contextlib.suppress(OSError):
                    self.file = open(open_at(path, READ), "rb")  # noqa: SIM115 (closed in close())
        raw = None
        try:
            while self.file is not None and self.number < number:
                raw = self.file.readline()
                if not raw:
                    break
                self.number += 1
        except OSError:
            return None
        return raw.rstrip(b"\r\n") if raw and self.number == number else None

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        self.file = None
        self.number = 0


def _run_rg(rg: str, args: SearchArgs, root: _Root, reread: _Reread, found: _Found) -> int | None:
    """Stream ripgrep's matches into ``found``; its exit code (None when stopped early)."""
    collect = _Collector(found, args.max_results)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            _rg_argv(rg, args, root.what),
            cwd=f"/proc/{os.getpid()}/fd/{root.fd}",  # the directory opened, not its name
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
        )
        timer = threading.Timer(TIMEOUT_S, proc.kill)
        timer.start()
        stopped = False
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                name, sep, rest = raw.partition(b"\0")
                if not sep:  # a note such as "binary file matches"
                    continue
                name = name.removeprefix(b"./")
                number, _, text = rest.partition(b":")
                line = reread.line(os.fsdecode(name), int(number))
                if line is None or line != text.rstrip(b"\r\n"):
                    continue
                shown = root.show(name.decode("utf-8", errors="replace"))
                if not collect.add(shown, int(number), line.decode("utf-8", errors="replace")):
                    stopped = True
                    break
        finally:
            timer.cancel()
            reread.close()
            if stopped:
                proc.kill()
            code = proc.wait()
        found.timed_out = not stopped and code < 0
        err.seek(0)
        found.problems = err.read().decode("utf-8", errors="replace").strip().splitlines()
    return None if stopped or found.timed_out else code


def _walk(fd: int, where: Path, prefix: str, hidden: HiddenPaths) -> Iterator[tuple[int, str, str]]:
    """(directory fd, name, path below the search root) of each file below the open directory
    ``fd`` (resolved path ``where``), in path order, not following symlinks (as ripgrep does)."""
    try:
        with os.scandir(fd) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_symlink() or hidden.covers(where / entry.name):
            continue
        if entry.is_dir():
            if entry.name in SKIP_DIRS:
                continue
            try:
                sub = os.open(entry.name, LIST, dir_fd=fd)
            except OSError:
                continue
            try:
                yield from _walk(sub, where / entry.name, f"{prefix}{entry.name}/", hidden)
            finally:
                os.close(sub)
        elif entry.is_file():
            yield fd, entry.name, prefix + entry.name


def _glob_matches(glob: str, rel: str) -> bool:
    """ripgrep-like globs: without a '/' they match the file name, else the path below the
    search root; '**/' also matches no directory; a leading '!' negates."""
    if glob.startswith("!"):
        return not _glob_matches(glob[1:], rel)
    pattern = glob.lstrip("/")
    if "/" not in pattern:
        return fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], pattern)
    return fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(rel, pattern.replace("**/", ""))


def _run_python(
    regex: re.Pattern[str], args: SearchArgs, root: _Root, hidden: HiddenPaths
) -> _Found:
    found = _Found()
    collect = _Collector(found, args.max_results)
    deadline = time.monotonic() + TIMEOUT_S
    if root.what == ".":
        files = _walk(root.fd, root.directory, "", hidden)
    else:
        files = iter([(root.fd, root.what, root.what)])
    for fd, name, rel in files:
        if time.monotonic() > deadline:
            found.timed_out = True
            break
        if args.glob and not _glob_matches(args.glob, rel):
            continue
        shown = root.show(rel)
        try:
            with open(os.open(name, READ, dir_fd=fd), "rb") as f:
                if looks_binary(f.read(BINARY_SNIFF_BYTES)):
                    continue
                f.seek(0)
                for number, raw in enumerate(f, 1):
                    text = raw.decode("utf-8", errors="replace")
                    if regex.search(text.rstrip("\r\n")) and not collect.add(shown, number, text):
                        return found
        except OSError as exc:
            found.problems.append(f"{shown}: {exc.strerror}")
    return found


class SearchTool:
    name: ClassVar[str] = "search"
    description: ClassVar[str] = (
        "Search file contents for a regular expression; results are path:line:text. Skips .git, "
        "dependency and cache directories and binary files. Narrow with path and glob."
    )
    Args: ClassVar[type] = SearchArgs

    def __init__(self, use_rg: bool = True) -> None:
        self.use_rg = use_rg

    def describe(self, args: SearchArgs) -> str:
        return f"search {args.pattern!r} in {args.path}"

    def run(self, args: SearchArgs, ctx: ToolContext) -> ToolOutput:
        path = resolve_path(ctx, args.path)
        target = real(path)
        hidden = HiddenPaths(ctx.config)
        refusal = hidden.refusal(path, target)
        if refusal:
            return ToolOutput(refusal, ok=False)
        try:
            root = _Root.open(target, shown_path(path, ctx.cwd))
        except (FileNotFoundError, NotADirectoryError):
            return ToolOutput(
                f"error: {args.path} does not exist ({path}). Use list_dir to see what is there.",
                ok=False,
            )
        except OSError as exc:
            return ToolOutput(f"error: cannot search {args.path}: {exc.strerror}.", ok=False)
        try:
            return self._search(args, root, hidden, ctx)
        finally:
            os.close(root.fd)

    def _search(
        self, args: SearchArgs, root: _Root, hidden: HiddenPaths, ctx: ToolContext
    ) -> ToolOutput:
        rg = shutil.which("rg") if self.use_rg else None
        found: _Found | None = None
        if rg:
            found = _Found()
            code = _run_rg(rg, args, root, _Reread(root, hidden), found)
            if code == 2 and not found.matches:
                if not any("regex parse error" in p for p in found.problems):
                    return ToolOutput(
                        "error: ripgrep failed:\n" + "\n".join(found.problems), ok=False
                    )
                found = None  # a construct ripgrep lacks (look-around...): try Python's re
        if found is None:
            try:
                regex = re.compile(args.pattern, 0 if args.case_sensitive else re.IGNORECASE)
            except re.error as exc:
                return ToolOutput(
                    f"error: invalid regular expression {args.pattern!r}: {exc}. Escape special "
                    "characters (e.g. '\\(') to search for them literally.",
                    ok=False,
                )
            found = _run_python(regex, args, root, hidden)
        return self._report(args, found, ctx)

    @staticmethod
    def _report(args: SearchArgs, found: _Found, ctx: ToolContext) -> ToolOutput:
        where = args.path + (f" (files matching {args.glob})" if args.glob else "")
        lines = list(found.matches) or [f"no matches for {args.pattern!r} in {where}"]
        if found.more:
            lines.append(
                f"[showing the first {args.max_results} matches; there are more: narrow the "
                "pattern, path or glob, or raise max_results]"
            )
        if found.timed_out:
            lines.append(
                f"[search stopped after {TIMEOUT_S:.0f} s; results are incomplete: narrow the "
                "path or glob]"
            )
        if found.problems:
            shown = "; ".join(found.problems[:3])
            lines.append(f"[some files could not be searched: {shown}]")
        return ToolOutput("\n".join(lines))
