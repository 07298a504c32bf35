"""Parsing the patch format of OpenAI's Codex CLI into file operations.

    *** Begin Patch
    *** Add File: PATH        then the file's lines, each prefixed with "+"
    *** Delete File: PATH
    *** Update File: PATH     optionally followed by "*** Move to: NEWPATH", then hunks:
    @@ optional context line  " " context, "-" removed, "+" added lines; "*** End of File"
                              anchors the hunk at the end of the file
    *** End Patch

Lenient where models commonly slip and the meaning is still clear: a patch wrapped in a heredoc
(``apply_patch <<'EOF'`` ... ``EOF``) or in markdown fences, CRLF line endings, whitespace around
the patch and file markers, an empty context line without its leading space, an empty line of an
added file without its ``+``, and unified-diff style ``@@ -1,3 +1,4 @@`` hunk headers. Two patches
in one text are refused by name rather than merged: the model should know it sent two."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from kodo.tools.patch_match import abbreviated

BEGIN = "*** Begin Patch"
END = "*** End Patch"
ADD = "*** Add File: "
DELETE = "*** Delete File: "
UPDATE = "*** Update File: "
MOVE = "*** Move to: "
END_OF_FILE = "*** End of File"

_HEREDOC_START = re.compile(r"^(?:\S*apply_patch\s+)?<<-?\s*(['\"]?)(\w+)\1\s*$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNIFIED_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@ ?(.*)$")

LineKind = Literal[" ", "-", "+"]


class PatchError(Exception):
    """A patch that cannot be parsed or applied; the message says what and where."""


@dataclass
class Hunk:
    """One ``@@`` section. ``headers`` are the context lines named after ``@@`` (stacked headers
    narrow the search: a class, then a method in it)."""

    patch_line: int
    headers: list[str] = field(default_factory=list)
    lines: list[tuple[LineKind, str]] = field(default_factory=list)
    end_of_file: bool = False

    @property
    def old(self) -> list[str]:
        return [text for kind, text in self.lines if kind != "+"]

    @property
    def new(self) -> list[str]:
        return [text for kind, text in self.lines if kind != "-"]

    def label(self, number: int, total: int) -> str:
        where = f"hunk {number} of {total} (patch line {self.patch_line}"
        if self.headers:
            where += ", " + ", ".join(f"@@ {h}" for h in self.headers)
        return where + ")"


@dataclass
class AddFile:
    path: str
    content: str


@dataclass
class DeleteFile:
    path: str


@dataclass
class UpdateFile:
    path: str
    move_to: str | None
    hunks: list[Hunk]


Operation = AddFile | DeleteFile | UpdateFile


def _unwrap(lines: list[str]) -> tuple[list[str], int]:
    """Drop blank edges, a heredoc wrapper and markdown fences; return the lines and how many
    lines were dropped from the front (to report line numbers of the text as sent)."""
    start, stop = 0, len(lines)
    changed = True
    while changed:
        changed = False
        while start < stop and not lines[start].strip():
            start += 1
        while stop > start and not lines[stop - 1].strip():
            stop -= 1
        if stop - start < 2:
            break
        first, last = lines[start].strip(), lines[stop - 1].strip()
        heredoc = _HEREDOC_START.match(first)
        if (heredoc and last == heredoc.group(2)) or (first.startswith("```") and last == "```"):
            start, stop, changed = start + 1, stop - 1, True
    return lines[start:stop], start


class _Parser:
    def __init__(self, lines: list[str], offset: int) -> None:
        self.lines = lines
        self.offset = offset
        self.i = 0

    def lineno(self, index: int | None = None) -> int:
        return (self.i if index is None else index) + self.offset + 1

    def fail(self, message: str) -> PatchError:
        return PatchError(f"invalid patch: line {self.lineno()}: {message}")

    def current(self) -> str:
        return self.lines[self.i]

    def parse(self) -> list[Operation]:
        if not self.lines or self.lines[0].strip() != BEGIN:
            got = repr(abbreviated(self.lines[0])) if self.lines else "an empty patch"
            raise PatchError(
                f"invalid patch: line {self.offset + 1}: expected '{BEGIN}' as the first line, "
                f"got {got}. A patch is '{BEGIN}', file sections, then '{END}'."
            )
        if self.lines[-1].strip() != END:
            raise PatchError(
                f"invalid patch: line {self.offset + len(self.lines)}: expected '{END}' as the "
                f"last line, got {abbreviated(self.lines[-1])!r}."
            )
        self.i = 1
        ops: list[Operation] = []
        last = len(self.lines) - 1
        while self.i < last:
            line = self.current().lstrip()
            if line.startswith(ADD):
                ops.append(self._add(self._path(line, ADD)))
            elif line.startswith(DELETE):
                ops.append(DeleteFile(self._path(line, DELETE)))
                self.i += 1
            elif line.startswith(UPDATE):
                ops.append(self._update(self._path(line, UPDATE)))
            elif not line.strip():
                self.i += 1
            elif line.strip() in (BEGIN, END):
                raise self._second_patch()
            else:
                raise self.fail(
                    f"expected '{ADD}PATH', '{UPDATE}PATH', '{DELETE}PATH' or '{END}', "
                    f"got {abbreviated(line)!r}."
                )
        if not ops:
            raise self.fail("the patch has no file sections; nothing to do.")
        return ops

    def _second_patch(self) -> PatchError:
        """A marker of a whole patch inside one: two patches sent as one text."""
        later = [i for i in range(self.i + 1, len(self.lines)) if self.lines[i].strip() == BEGIN]
        if self.current().strip() == BEGIN or later:
            at = self.lineno(self.i if self.current().strip() == BEGIN else later[0])
            return PatchError(
                f"invalid patch: two patches found in one text (the second '{BEGIN}' is at line "
                f"{at}). Send one patch: put all the file sections between a single '{BEGIN}' "
                f"and '{END}'. Nothing was changed."
            )
        return self.fail(
            f"'{END}' comes before the end of the patch; everything after it would be lost. "
            f"End the patch with a single '{END}'."
        )

    def _path(self, line: str, marker: str) -> str:
        path = line[len(marker) :].strip()
        if not path:
            raise self.fail(f"'{marker.strip()}' needs a path after it.")
        if "\0" in path:
            raise self.fail(f"the path {path!r} contains a NUL byte, which no file name can hold.")
        return path

    def _add(self, path: str) -> AddFile:
        """The new file's lines. A blank line with more ``+`` lines after it is an empty line
        whose ``+`` the model forgot; blank lines before the next marker only separate."""
        self.i += 1
        body: list[str] = []
        last = len(self.lines) - 1
        while self.i < last and not self.current().lstrip().startswith("*** "):
            line = self.current()
            if not line.strip():
                ahead = self.i
                while ahead < last and not self.lines[ahead].strip():
                    ahead += 1
                if not self.lines[ahead].startswith("+"):
                    break
                body.append("")
            elif line.startswith("+"):
                body.append(line[1:])
            else:
                raise self.fail(
                    f"in '{ADD}{path}' every line of the new file starts with '+' (an empty "
                    f"line is a lone '+'), got {abbreviated(line)!r}."
                )
            self.i += 1
        return AddFile(path, "".join(f"{line}\n" for line in body))

    def _update(self, path: str) -> UpdateFile:
        self.i += 1
        move_to = None
        if self.current().lstrip().startswith(MOVE):
            move_to = self._path(self.current().lstrip(), MOVE)
            self.i += 1
        hunks: list[Hunk] = []
        while self.i < len(self.lines) - 1 and not self._at_file_marker():
            hunks.append(self._hunk(path, first=not hunks))
        if not hunks and move_to is None:
            raise self.fail(f"'{UPDATE}{path}' has no hunks; add '@@' sections with the change.")
        return UpdateFile(path, move_to, hunks)

    def _at_file_marker(self) -> bool:
        line = self.current()
        return line.strip() in (BEGIN, END) or line.startswith((ADD, DELETE, UPDATE))

    def _hunk(self, path: str, *, first: bool) -> Hunk:
        hunk = Hunk(patch_line=self.lineno())
        saw_header = False
        while self.current().startswith("@@"):
            header = self._header(self.current())
            if header:
                hunk.headers.append(header)
            saw_header = True
            self.i += 1
            if self.i >= len(self.lines) - 1:
                break
        if not saw_header and not first:
            raise self.fail(f"expected a hunk starting with '@@' in '{UPDATE}{path}'.")
        while self.i < len(self.lines) - 1:
            line = self.current()
            if line.strip() == END_OF_FILE:
                hunk.end_of_file = True
                self.i += 1
                break
            if line.startswith("@@") or self._at_file_marker():
                break
            if line == "":
                hunk.lines.append((" ", ""))
            elif line[0] in " -+":
                hunk.lines.append((line[0], line[1:]))  # type: ignore[arg-type]
            elif not line.strip():
                hunk.lines.append((" ", line))
            else:
                raise self.fail(
                    f"in '{UPDATE}{path}', hunk lines start with ' ' (context), '-' (remove) or "
                    f"'+' (add), got {abbreviated(line)!r}. Prefix unchanged lines with a space."
                )
            self.i += 1
        if not hunk.lines:
            raise PatchError(
                f"invalid patch: line {hunk.patch_line}: a hunk in '{UPDATE}{path}' has no "
                "lines; give the context, '-' and '+' lines of the change."
            )
        return hunk

    @staticmethod
    def _header(line: str) -> str:
        unified = _UNIFIED_HEADER.match(line)
        text = unified.group(1) if unified else line[2:]
        return text.strip()


def _check_encodable(text: str) -> None:
    """Text from JSON can hold lone surrogates, which no UTF-8 file or path can store."""
    bad = _SURROGATE.search(text)
    if bad is not None:
        raise PatchError(
            f"invalid patch: line {text.count(chr(10), 0, bad.start()) + 1}: it holds a lone "
            f"surrogate ({bad.group()!a}), which cannot be written as UTF-8. Send the text as "
            "valid Unicode. Nothing was changed."
        )


def parse_patch(text: str) -> list[Operation]:
    """The operations of a patch, in order; PatchError (with the line) when it is malformed."""
    text = text.replace("\r\n", "\n")
    _check_encodable(text)
    lines = text.split("\n")
    body, offset = _unwrap(lines)
    return _Parser(body, offset).parse()
