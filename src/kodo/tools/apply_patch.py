"""``apply_patch``: edit files with a patch in the format of OpenAI's Codex CLI (see
``patch_format``), as a tool for the model and as ``kodo apply-patch``.

All or nothing: every file's new content is computed in memory first; files are written only
when every hunk of every file matched, and then as one undoable change (``patch_commit``) that a
late failure rolls back. A file's line endings (LF or CRLF) and whether it ends with a newline
are kept. Paths are taken as names of directory entries: a symbolic link is never followed
silently (updating one edits its target and says so; deleting one removes the link; moving one,
or adding a file over one, is refused)."""

from __future__ import annotations

import argparse
import difflib
import os
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from kodo.config import Config
from kodo.events import EditDetail, FileChange
from kodo.records import spec
from kodo.sandbox.approval import EditAsk, edit_guard
from kodo.tools.base import Approval, ToolContext, ToolOutput
from kodo.tools.fs_access import READ, directory, looks_binary, real, shown_path, write_checker
from kodo.tools.patch_commit import CommitError, Identity, commit, identity
from kodo.tools.patch_format import (
    AddFile,
    DeleteFile,
    Hunk,
    PatchError,
    UpdateFile,
    parse_patch,
)
from kodo.tools.patch_match import Finder, abbreviated, nearest

__all__ = ["ApplyPatchTool", "FileChange", "PatchError", "PatchResult", "apply_patch", "cli_run"]

_LETTER = {"add": "A", "update": "M", "delete": "D", "move": "M"}
SHOWN_PATHS = 3  # in a call's title
_RETRY = "Nothing was changed. Re-read the file (read_file) and retry with lines copied exactly."


@dataclass
class PatchResult:
    changes: list[FileChange]
    diff: str
    notes: list[str] = field(default_factory=list)  # what the model would not expect

    @property
    def summary(self) -> str:
        lines = [f"{_LETTER[c.action]} {c.to or c.path}" for c in self.changes]
        lines += [f"Note: {note}" for note in self.notes]
        return "Success. Updated the following files:\n" + "\n".join(lines)


def _split(text: str) -> list[str]:
    """Lines without their terminators (LF-normalised text)."""
    if not text:
        return []
    lines = text.split("\n")
    return lines[:-1] if text.endswith("\n") else lines


def _numbered(lines: list[str], first: int) -> str:
    return "\n".join(f"{first + i:>6}\t{abbreviated(line)}" for i, line in enumerate(lines))


def _no_match(
    path: str, lines: list[str], wanted: list[str], start: int, what: str, where: str
) -> PatchError:
    shown = "\n".join(f"  |{abbreviated(line)}" for line in wanted)
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
    finder = Finder(lines)
    seek = finder.seek
    out: list[str] = []
    cursor = 0
    for number, hunk in enumerate(hunks, 1):
        where = hunk.label(number, len(hunks))
        start = cursor
        for header in hunk.headers:
            found = seek([header], start)
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
        k = seek(old, start, at_end=hunk.end_of_file)
        if k is None and hunk.headers:  # the header line repeated as the first context line
            k = seek(old, start - 1, at_end=hunk.end_of_file)
        while k is None and spec and spec[-1] == (" ", ""):  # a blank context line past EOF
            spec = spec[:-1]
            trimmed = [text for kind, text in spec if kind != "+"]
            k = seek(trimmed, start, at_end=hunk.end_of_file) if trimmed else None
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


_KINDS = {
    stat.S_IFDIR: "a directory, not a file",
    stat.S_IFIFO: "a FIFO (named pipe), not a regular file",
    stat.S_IFSOCK: "a socket, not a regular file",
    stat.S_IFCHR: "a character device, not a regular file",
    stat.S_IFBLK: "a block device, not a regular file",
}


class _Plan:
    """The patch's effect, in memory: each touched path's final text (None: deleted)."""

    def __init__(self, cwd: Path, can_write: Callable[[Path], bool] | None) -> None:
        self.cwd = Path(os.path.normpath(cwd.absolute()))
        self.can_write = can_write
        self.final: dict[Path, str | None] = {}
        self.names: dict[Path, str] = {}
        self.modes: dict[Path, int] = {}
        self.seen: dict[Path, Identity] = {}  # each file read, to write only over that one
        self.changes: list[FileChange] = []
        self.diffs: list[str] = []
        self.notes: list[str] = []

    def _given(self, raw: str) -> Path:
        if "\0" in raw:
            raise PatchError(f"{raw!r}: a path cannot hold a NUL byte. Nothing was changed.")
        return Path(os.path.normpath(self.cwd / os.path.expanduser(raw)))  # ~nobody: as is

    def _vet(self, raw: str, given: Path, path: Path) -> tuple[Path, str]:
        if self.can_write is not None and not self.can_write(path):
            via = f" (it resolves to {path})" if path != given else ""
            raise PatchError(
                f"{raw}: cannot write there{via}: it is outside the writable area (the workspace "
                "and the configured writable_roots). Nothing was changed. Edit files inside the "
                "workspace only."
            )
        name = shown_path(given, self.cwd)
        self.names.setdefault(path, name)
        return path, name

    def target(self, raw: str) -> tuple[Path, str]:
        """The path to act on, symlinks resolved (``write_file``), and its name as shown."""
        given = self._given(raw)
        return self._vet(raw, given, real(given))

    def entry(self, raw: str) -> tuple[Path, str, str | None]:
        """The directory entry ``raw`` names (the directories above it resolved, not the name
        itself), its name as shown, and where it points when it is a symbolic link that this
        patch has not already replaced."""
        given = self._given(raw)
        path = real(given.parent) / given.name
        link = None if path in self.final else _link_target(path)
        return *self._vet(raw, given, path), link

    def current(self, path: Path, name: str) -> str | None:
        """The text at ``path`` as the patch has left it so far; None: no file there. A
        symbolic link reads as empty (only a delete acts on a link itself). Anything but a
        regular file or link is refused before it is opened, so a FIFO cannot block the read."""
        if path in self.final:
            return self.final[path]
        try:
            parent = directory(path.parent)
        except FileNotFoundError:
            return None
        except NotADirectoryError:
            conflict = self._conflict(path)
            if conflict is not None:
                raise conflict from None
            blocker = _first_file(path, self.cwd)
            raise PatchError(
                f"{name}: {blocker} is a file, so it cannot hold {name}. Nothing was changed."
            ) from None
        except OSError as exc:
            raise _unreadable(name, exc) from exc
        try:
            return self._read(parent, path, name)
        finally:
            os.close(parent)

    def _read(self, parent: int, path: Path, name: str) -> str | None:
        try:
            info = os.stat(path.name or ".", dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _unreadable(name, exc) from exc
        self.seen[path] = identity(info)
        if stat.S_ISLNK(info.st_mode):
            return ""
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise PatchError(f"{name} is {kind}. Nothing was changed.")
        try:
            fd = os.open(path.name, READ, dir_fd=parent)
        except OSError as exc:
            raise _unreadable(name, exc) from exc
        with open(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the check
                raise PatchError(f"{name} changed while it was read. Nothing was changed.")
            try:
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
        path, name, link = self.entry(op.path)
        if link is not None or self.current(path, name) is not None:
            what = f"it already exists (a symbolic link to {link})" if link else "it already exists"
            raise PatchError(
                f"cannot add {name}: {what}. '*** Add File' never overwrites (unlike Codex's). "
                f"To replace the file, send '*** Delete File: {op.path}' and then "
                f"'*** Add File: {op.path}' in the same patch; to change it, '*** Update File: "
                f"{op.path}'. Nothing was changed."
            )
        self.final[path] = op.content
        self.record(FileChange(name, "add"), _diff(None, op.content, name, name))

    def delete(self, op: DeleteFile) -> None:
        path, name, link = self.entry(op.path)
        old = self.current(path, name)
        if old is None:
            raise PatchError(f"cannot delete {name}: no such file. Nothing was changed.")
        self.final[path] = None
        if link is not None:
            self.notes.append(f"{name} was a symbolic link: the link was removed, not {link}.")
        self.record(FileChange(name, "delete"), _diff(old, None, name, name))

    def update(self, op: UpdateFile) -> None:
        path, name, link = self.entry(op.path)
        if link is not None:
            if op.move_to is not None:
                raise PatchError(
                    f"cannot move {name}: it is a symbolic link (to {link}), and apply_patch "
                    f"moves files, not links. Rename the link in the shell (mv), or update and "
                    f"move {link} itself. Nothing was changed."
                )
            path = self.target(op.path)[0]
            self.notes.append(
                f"{name} is a symbolic link: its target {shown_path(path, self.cwd)} was edited, "
                "the link kept."
            )
        old = self.current(path, name)
        if old is None:
            raise PatchError(
                f"cannot update {name}: no such file. Use '*** Add File: {op.path}' to create it. "
                "Nothing was changed."
            )
        new = update_text(name, old, op.hunks)
        if old and not old.endswith("\n") and new and not new.endswith("\n"):
            self.notes.append(
                f"{name} still has no newline at the end, as before. To end it with one, make "
                "an empty '+' line the last line of a hunk that ends at the end of the file."
            )
        if op.move_to is None:
            self.final[path] = new
            self.record(FileChange(name, "update"), _diff(old, new, name, name))
            return
        dest, dest_name, dest_link = self.entry(op.move_to)
        if dest != path and (dest_link is not None or self.current(dest, dest_name) is not None):
            raise PatchError(
                f"cannot move {name} to {dest_name}: {dest_name} already exists, and "
                "'*** Move to' never overwrites (unlike Codex's). To replace it, send "
                f"'*** Delete File: {op.move_to}' before this section in the same patch. "
                "Nothing was changed."
            )
        self.final[path] = None
        self.final[dest] = new
        if path in self.modes:
            self.modes[dest] = self.modes[path]
        self.record(FileChange(name, "move", dest_name), _diff(old, new, name, dest_name))

    def _conflict(self, path: Path) -> PatchError | None:
        """Why ``path`` cannot be written when the patch writes or deletes a file above it."""
        for folder in path.parents:
            if folder not in self.final:
                continue
            name, other = self.names[path], self.names[folder]
            if self.final[folder] is None:
                return PatchError(
                    f"cannot write {name}: this patch deletes the file {other}, and {name} "
                    f"needs {other} to be a directory. Delete {other} in one patch and write "
                    f"{name} in the next. Nothing was changed."
                )
            return PatchError(
                f"cannot write {name}: this patch also writes {other} as a file, and one path "
                "cannot be both a file and a directory. Nothing was changed."
            )
        return None

    def check_layout(self) -> None:
        """A path the patch writes must not lie under one it writes or deletes as a file."""
        for path, text in self.final.items():
            conflict = None if text is None else self._conflict(path)
            if conflict is not None:
                raise conflict

    def commit(self) -> None:
        """Write it all, or (naming the path that failed) nothing: see ``patch_commit``."""
        final: dict[Path, bytes | None] = {}
        for path, text in self.final.items():
            try:
                final[path] = None if text is None else text.encode("utf-8")
            except UnicodeEncodeError:
                raise PatchError(
                    f"{self.names[path]}: the text holds a lone surrogate, which cannot be "
                    "written as UTF-8. Send valid Unicode. Nothing was changed."
                ) from None
        try:
            commit(final, self.modes, self.seen)
        except CommitError as exc:
            name = self.names.get(exc.path) or shown_path(exc.path, self.cwd)
            raise PatchError(
                f"cannot write {name}: {exc.reason}. Nothing was changed (every file already "
                "written was put back)."
            ) from exc

    def result(self) -> PatchResult:
        return PatchResult(self.changes, "\n".join(self.diffs) + "\n", self.notes)


def _link_target(path: Path) -> str | None:
    """Where the symbolic link at ``path`` points; None when there is no link there."""
    try:
        parent = directory(path.parent)
    except OSError:
        return None
    try:
        return os.readlink(path.name, dir_fd=parent)
    except OSError:
        return None
    finally:
        os.close(parent)


def _first_file(path: Path, cwd: Path) -> str:
    """The first of ``path``'s directories that is a file, as shown to the model."""
    for folder in reversed(path.parents):
        try:
            if not stat.S_ISDIR(os.stat(folder).st_mode):
                return shown_path(folder, cwd)
        except OSError:
            break
    return shown_path(path.parent, cwd)


def _unreadable(name: str, exc: OSError) -> PatchError:
    return PatchError(f"{name}: cannot read it ({exc.strerror}). Nothing was changed.")


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
    plan.check_layout()
    plan.commit()
    return plan.result()


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
    return plan.result()


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
    return ToolOutput(result.summary, detail=EditDetail(files=result.changes, diff=result.diff))


@dataclass(kw_only=True)
class ApplyPatchArgs:
    patch: str = spec(description="The whole patch, from '*** Begin Patch' to '*** End Patch'.")


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
        "completely or not at all. Add File and Move to never overwrite: to replace a file, "
        "delete it first in the same patch."
    )
    Args: ClassVar[type] = ApplyPatchArgs

    def describe(self, args: ApplyPatchArgs) -> str:
        paths = list(dict.fromkeys(patch_paths(args.patch)))
        if len(paths) > SHOWN_PATHS:
            paths = [*paths[:SHOWN_PATHS], f"{len(paths) - SHOWN_PATHS} more"]
        return f"apply_patch {', '.join(paths)}" if paths else "apply_patch"

    def approval(self, args: ApplyPatchArgs, ctx: ToolContext) -> Approval | None:
        """Nothing to ask about in a read-only session or for a malformed patch (no paths):
        ``run`` says why it cannot apply."""
        if ctx.config.sandbox_mode == "read-only":
            return None
        paths = patch_paths(args.patch)
        return Approval(EditAsk(paths, args.patch)) if paths else None

    def run(self, args: ApplyPatchArgs, ctx: ToolContext) -> ToolOutput:
        if ctx.config.sandbox_mode == "read-only":
            return read_only_refusal(self.name)
        can_write = edit_guard(ctx.approved, ctx.cwd, write_checker(ctx.config, ctx.cwd))
        try:
            result = apply_patch(args.patch, ctx.cwd, can_write)
        except PatchError as exc:
            return ToolOutput(f"error: {exc}", ok=False)
        return patch_output(result)


def cli_run(args: argparse.Namespace) -> int:
    """``kodo apply-patch``: the patch on stdin, applied in the current directory and only
    there (as in a workspace-write session), whatever ``..``, ``~`` or symlinks a path holds."""
    data = sys.stdin.buffer.read()
    try:
        patch = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        print(
            f"kodo apply-patch: the patch is not UTF-8 text (byte {exc.start}). Nothing was "
            "changed.",
            file=sys.stderr,
        )
        return 1
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
