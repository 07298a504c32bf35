"""``apply_patch``: edit files with a patch in the format of OpenAI's Codex CLI (see
``patch_format``), as a tool for the model and as ``kodo apply-patch``.

All or nothing: every file's new content is computed in memory first; files are written only
when every hunk of every file matched, through temporary files and ``os.replace``. A file's line
endings (LF or CRLF) and whether it ends with a newline are kept."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import errno
import os
import secrets
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from kodo.config import Config
from kodo.sandbox.approval import edit_permission
from kodo.tools.base import ToolContext, ToolOutput
from kodo.tools.fs_access import (
    READ,
    directory,
    looks_binary,
    open_at,
    real,
    shown_path,
    write_checker,
)
from kodo.tools.patch_format import (
    AddFile,
    DeleteFile,
    Hunk,
    PatchError,
    UpdateFile,
    parse_patch,
)
from kodo.tools.patch_match import nearest, seek

__all__ = ["ApplyPatchTool", "FileChange", "PatchError", "PatchResult", "apply_patch", "cli_run"]

Action = Literal["add", "update", "delete", "move"]
_LETTER = {"add": "A", "update": "M", "delete": "D", "move": "M"}
_RETRY = "Nothing was changed. Re-read the file (read_file) and retry with lines copied exactly."


@dataclass
class FileChange:
    path: str
    action: Action
    to: str | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"path": self.path, "action": self.action}
        if self.to is not None:
            out["to"] = self.to
        return out


@dataclass
class PatchResult:
    changes: list[FileChange]
    diff: str

    @property
    def summary(self) -> str:
        lines = [f"{_LETTER[c.action]} {c.to or c.path}" for c in self.changes]
        return "Success. Updated the following files:\n" + "\n".join(lines)


def _split(text: str) -> list[str]:
    """Lines without their terminators (LF-normalised text)."""
    if not text:
        return []
    lines = text.split("\n")
    return lines[:-1] if text.endswith("\n") else lines


def _numbered(lines: list[str], first: int) -> str:
    return "\n".join(f"{first + i:>6}\t{line}" for i, line in enumerate(lines))


def _no_match(
    path: str, lines: list[str], wanted: list[str], start: int, what: str, where: str
) -> PatchError:
    shown = "\n".join(f"  |{line}" for line in wanted)
    message = (
        f"{path}: {where} did not match: {what} not found (searching from line {start + 1}):\n"
        f"{shown}\n"
    )
    region = nearest(lines, wanted)
    if region is None:
        message += f"{path} has no lines to match against.\n"
    else:
        k, size = region
        note = " (before the previous hunk: hunks must be in file order)" if k < start else ""
        message += f"The closest lines in {path} are {k + 1}-{k + size}{note}:\n"
        message += _numbered(lines[k : k + size], k + 1) + "\n"
    return PatchError(message + _RETRY)


def _apply_hunks(path: str, lines: list[str], hunks: list[Hunk]) -> list[str]:
    out: list[str] = []
    cursor = 0
    for number, hunk in enumerate(hunks, 1):
        where = hunk.label(number, len(hunks))
        start = cursor
        for header in hunk.headers:
            found = seek(lines, [header], start)
            if found is None:
                raise _no_match(path, lines, [header], start, "the '@@' context line was", where)
            start = found + 1
        spec = hunk.lines
        old = hunk.old
        if not old:  # only additions: after the header, or at the end of the file
            at = start if hunk.headers else len(lines)
            out += lines[cursor:at] + hunk.new
            cursor = at
            continue
        k = seek(lines, old, start, at_end=hunk.end_of_file)
        if k is None and hunk.headers:  # the header line repeated as the first context line
            k = seek(lines, old, start - 1, at_end=hunk.end_of_file)
        while k is None and spec and spec[-1] == (" ", ""):  # a blank context line past EOF
            spec = spec[:-1]
            trimmed = [text for kind, text in spec if kind != "+"]
            k = seek(lines, trimmed, start, at_end=hunk.end_of_file) if trimmed else None
        if k is None:
            raise _no_match(path, lines, old, start, "these lines were", where)
        out += lines[cursor:k]
        for kind, text in spec:
            if kind == "+":
                out.append(text)
                continue
            if kind == " ":
                out.append(lines[k])  # the file's own text, even where whitespace differed
            k += 1
        cursor = k
    return out + lines[cursor:]


def update_text(path: str, text: str, hunks: list[Hunk]) -> str:
    """``text`` with ``hunks`` applied, keeping its line endings and trailing-newline state."""
    crlf = text.count("\r\n") * 2 > text.count("\n")
    body = text.replace("\r\n", "\n") if crlf else text
    lines = _split(body)
    new = _apply_hunks(path, lines, hunks)
    if not new:
        return ""
    ends_with_newline = body.endswith("\n") or not lines
    result = "\n".join(new) + ("\n" if ends_with_newline else "")
    return result.replace("\n", "\r\n") if crlf else result


def _diff(old: str | None, new: str | None, old_name: str, new_name: str) -> str:
    def label(name: str, prefix: str) -> str:
        return name if name.startswith("/") else f"{prefix}/{name}"

    a = "/dev/null" if old is None else label(old_name, "a")
    b = "/dev/null" if new is None else label(new_name, "b")
    before = _split((old or "").replace("\r\n", "\n"))
    after = _split((new or "").replace("\r\n", "\n"))
    body = list(difflib.unified_diff(before, after, lineterm=""))[2:]
    return "\n".join([f"--- {a}", f"+++ {b}", *body])


class _Plan:
    """The patch's effect, in memory: each touched path's final text (None: deleted)."""

    def __init__(self, cwd: Path, can_write: Callable[[Path], bool] | None) -> None:
        self.cwd = Path(os.path.normpath(cwd.absolute()))
        self.can_write = can_write
        self.final: dict[Path, str | None] = {}
        self.modes: dict[Path, int] = {}
        self.changes: list[FileChange] = []
        self.diffs: list[str] = []

    def target(self, raw: str, *, follow: bool = True) -> tuple[Path, str]:
        """The path to act on (symlinks resolved; the last one kept for a delete) and its name
        as shown to the model."""
        given = Path(os.path.normpath(self.cwd / Path(raw).expanduser()))
        path = real(given) if follow else real(given.parent) / given.name
        if self.can_write is not None and not self.can_write(path):
            via = f" (it resolves to {path})" if path != given else ""
            raise PatchError(
                f"{raw}: cannot write there{via}: it is outside the writable area (the workspace "
                "and the configured writable_roots). Nothing was changed. Edit files inside the "
                "workspace only."
            )
        return path, shown_path(given, self.cwd)

    def current(self, path: Path, name: str) -> str | None:
        if path in self.final:
            return self.final[path]
        try:
            fd = open_at(path, READ)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise _unreadable(name, exc) from exc
            return ""  # a symlink itself, which only a delete resolves to
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            os.close(fd)
            raise PatchError(f"{name} is a directory, not a file. Nothing was changed.")
        try:
            with open(fd, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise _unreadable(name, exc) from exc
        self.modes[path] = stat.S_IMODE(info.st_mode)
        if looks_binary(data[:8192]):
            raise PatchError(f"{name} is a binary file; apply_patch edits text files only.")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PatchError(
                f"{name} is not UTF-8 text (byte {exc.start}); apply_patch edits UTF-8 files only."
            ) from None

    def record(self, change: FileChange, diff: str) -> None:
        self.changes.append(change)
        self.diffs.append(diff)

    def add(self, op: AddFile) -> None:
        path, name = self.target(op.path)
        if self.current(path, name) is not None:
            raise PatchError(
                f"cannot add {name}: it already exists. Use '*** Update File: {op.path}' to change "
                "it, or delete it first. Nothing was changed."
            )
        self.final[path] = op.content
        self.record(FileChange(name, "add"), _diff(None, op.content, name, name))

    def delete(self, op: DeleteFile) -> None:
        path, name = self.target(op.path, follow=False)
        old = self.current(path, name)
        if old is None:
            raise PatchError(f"cannot delete {name}: no such file. Nothing was changed.")
        self.final[path] = None
        self.record(FileChange(name, "delete"), _diff(old, None, name, name))

    def update(self, op: UpdateFile) -> None:
        path, name = self.target(op.path)
        old = self.current(path, name)
        if old is None:
            raise PatchError(
                f"cannot update {name}: no such file. Use '*** Add File: {op.path}' to create it. "
                "Nothing was changed."
            )
        new = update_text(name, old, op.hunks)
        if op.move_to is None:
            self.final[path] = new
            self.record(FileChange(name, "update"), _diff(old, new, name, name))
            return
        dest, dest_name = self.target(op.move_to)
        if dest != path and self.current(dest, dest_name) is not None:
            raise PatchError(
                f"cannot move {name} to {dest_name}: {dest_name} already exists. Nothing was "
                "changed."
            )
        self.final[path] = None
        self.final[dest] = new
        if path in self.modes:
            self.modes[dest] = self.modes[path]
        self.record(FileChange(name, "move", dest_name), _diff(old, new, name, dest_name))

    def commit(self) -> None:
        """Stage every new text beside its destination, then swap them all in; a failure while
        staging removes what was staged and changes nothing. Files are written, renamed and
        removed relative to their directory's fd (see ``fs_access.directory``), so a directory
        swapped for a symlink meanwhile cannot send them elsewhere."""
        staged: list[tuple[int, str, str]] = []  # directory fd, temporary name, name
        try:
            for path, text in self.final.items():
                if text is None:
                    continue
                try:
                    staged.append(self._stage(path, text))
                except OSError as exc:
                    for parent, tmp, _ in staged:
                        with contextlib.suppress(OSError):
                            os.unlink(tmp, dir_fd=parent)
                    raise PatchError(
                        f"cannot write {path}: {exc.strerror}. Nothing was changed."
                    ) from exc
            for parent, tmp, name in staged:
                os.replace(tmp, name, src_dir_fd=parent, dst_dir_fd=parent)
        finally:
            for parent, _, _ in staged:
                os.close(parent)
        for path, text in self.final.items():
            if text is None:
                _remove(path)

    def _stage(self, path: Path, text: str) -> tuple[int, str, str]:
        parent = directory(path.parent, create=True)
        tmp = f".{path.name}.{secrets.token_hex(4)}.kodo-tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        try:
            fd = os.open(tmp, flags, self.modes.get(path, 0o666), dir_fd=parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
                if path in self.modes:
                    os.fchmod(f.fileno(), self.modes[path])
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=parent)
            os.close(parent)
            raise
        return parent, tmp, path.name


def _unreadable(name: str, exc: OSError) -> PatchError:
    return PatchError(f"{name}: cannot read it ({exc.strerror}). Nothing was changed.")


def _remove(path: Path) -> None:
    """Delete ``path`` (a symlink itself, not its target) if it is still there."""
    with contextlib.suppress(FileNotFoundError):
        parent = directory(path.parent)
        try:
            os.unlink(path.name, dir_fd=parent)
        finally:
            os.close(parent)


def apply_patch(
    patch: str, cwd: Path, can_write: Callable[[Path], bool] | None = None
) -> PatchResult:
    """Apply ``patch`` with paths relative to ``cwd``; ``can_write`` vets each resolved path
    written (None: anywhere). Raises PatchError, having changed nothing, on any problem."""
    plan = _Plan(cwd, can_write)
    for op in parse_patch(patch):
        if isinstance(op, AddFile):
            plan.add(op)
        elif isinstance(op, DeleteFile):
            plan.delete(op)
        else:
            plan.update(op)
    plan.commit()
    return PatchResult(plan.changes, "\n".join(plan.diffs) + "\n")


def write_file(
    raw_path: str, content: str, cwd: Path, can_write: Callable[[Path], bool] | None = None
) -> PatchResult:
    """Create or replace one whole file, with the same checks and atomic write as a patch."""
    plan = _Plan(cwd, can_write)
    path, name = plan.target(raw_path)
    old = plan.current(path, name)
    plan.final[path] = content
    plan.record(
        FileChange(name, "add" if old is None else "update"), _diff(old, content, name, name)
    )
    plan.commit()
    return PatchResult(plan.changes, "\n".join(plan.diffs) + "\n")


def patch_paths(patch: str) -> list[str]:
    """Every path a patch names (moves' destinations too), as written; none when malformed."""
    try:
        ops = parse_patch(patch)
    except PatchError:
        return []
    paths = [op.path for op in ops]
    return paths + [op.move_to for op in ops if isinstance(op, UpdateFile) and op.move_to]


def read_only_refusal(tool: str) -> ToolOutput:
    return ToolOutput(
        f'error: this session is read-only (sandbox_mode = "read-only"), so {tool} '
        "cannot change files. Describe the change instead of making it.",
        ok=False,
    )


def patch_output(result: PatchResult) -> ToolOutput:
    files = [c.as_dict() for c in result.changes]
    return ToolOutput(result.summary, metadata={"diff": result.diff, "files": files})


class ApplyPatchArgs(BaseModel):
    patch: str = Field(description="The whole patch, from '*** Begin Patch' to '*** End Patch'.")


class ApplyPatchTool:
    name: ClassVar[str] = "apply_patch"
    description: ClassVar[str] = (
        "Create, edit, move and delete files with a patch. Format:\n"
        "*** Begin Patch\n"
        "*** Add File: path/new.py\n"
        "+every line of the new file, prefixed with +\n"
        "*** Update File: path/old.py\n"
        "*** Move to: path/renamed.py   (optional)\n"
        "@@ def some_function():   (optional: a line above the change, to find the place)\n"
        " unchanged context line\n"
        "-removed line\n"
        "+added line\n"
        "*** Delete File: path/gone.py\n"
        "*** End Patch\n"
        "Paths are relative to the working directory. Give about 3 unchanged lines around each "
        "change, copied exactly and prefixed with a space; hunks go in file order; "
        "'*** End of File' after a hunk anchors it at the file's end. The patch applies "
        "completely or not at all."
    )
    Args: ClassVar[type[BaseModel]] = ApplyPatchArgs

    def run(self, args: ApplyPatchArgs, ctx: ToolContext) -> ToolOutput:
        if ctx.config.sandbox_mode == "read-only":
            return read_only_refusal(self.name)
        checker = write_checker(ctx.config, ctx.cwd)
        refusal, can_write = edit_permission(ctx, patch_paths(args.patch), args.patch, checker)
        if refusal is not None:
            return ToolOutput(f"error: {refusal}", ok=False)
        try:
            result = apply_patch(args.patch, ctx.cwd, can_write)
        except PatchError as exc:
            return ToolOutput(f"error: {exc}", ok=False)
        return patch_output(result)


def cli_run(args: argparse.Namespace) -> int:
    """``kodo apply-patch``: the patch on stdin, applied in the current directory and only
    there (as in a workspace-write session), whatever ``..``, ``~`` or symlinks a path holds."""
    patch = sys.stdin.read()
    if not patch.strip():
        print(
            "kodo apply-patch: no patch on stdin; pipe in a patch from '*** Begin Patch' to "
            "'*** End Patch'.",
            file=sys.stderr,
        )
        return 1
    try:
        cwd = Path.cwd()
        result = apply_patch(patch, cwd, write_checker(Config(), cwd))
    except PatchError as exc:
        print(f"kodo apply-patch: {exc}", file=sys.stderr)
        return 1
    print(result.summary)
    return 0
