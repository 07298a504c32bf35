"""Property-based fuzzing of apply_patch (hypothesis, derandomized so every run tries the same
cases): random valid patches give what a reference applier written here gives; mutated patches
give a clear error and leave the workspace byte-identical, or apply cleanly; hostile paths never
touch anything outside the workspace. Through the tool and through ``kodo apply-patch``: never
a traceback, never a temporary file left behind."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kodo.config import Config
from kodo.sandbox.local import LocalExecutor
from kodo.tools.apply_patch import ApplyPatchTool, PatchError, apply_patch
from kodo.tools.base import ToolContext, ToolOutput
from kodo.tools.patch_commit import TEMP_SUFFIX
from kodo.tools.registry import ToolRegistry

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NAMES = ["a.txt", "b.txt", "d/c.txt", "d/e/f.txt", "g/h.txt"]  # no name is another's folder
# No patch markers, no surrounding whitespace (whitespace tolerance has its own tests, and here
# every match is exact); empty lines and repeated lines are frequent.
LINE = st.text(alphabet="ab =()", max_size=5).map(str.strip)


@dataclass(frozen=True)
class File:
    lines: tuple[str, ...]
    newline_at_end: bool
    crlf: bool

    def text(self) -> str:
        eol = "\r\n" if self.crlf else "\n"
        end = eol if self.newline_at_end and self.lines else ""
        return eol.join(self.lines) + end


Hunk = tuple[list[str], list[str], list[str], list[str], bool]  # before, -, +, after, at end


@contextmanager
def workspace(files: dict[str, File]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        for name, file in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(file.text().encode())
        yield root


def contents(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def state(root: Path) -> dict[str, object]:
    """Files with their bytes and inodes, and directories: any change shows."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_ino) if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


def no_leftovers(root: Path) -> None:
    assert not [p for p in root.rglob("*") if p.name.endswith(TEMP_SUFFIX)]


def run_tool(root: Path, text: str) -> ToolOutput:
    cfg = Config()
    ctx = ToolContext(root, cfg, lambda e: None, LocalExecutor(cfg))
    out = ToolRegistry([ApplyPatchTool()]).dispatch("apply_patch", json.dumps({"patch": text}), ctx)
    assert "apply_patch failed:" not in out.output  # an exception the tool did not handle
    return out


# the reference ----------------------------------------------------------------------------------


def reference_update(file: File, hunks: list[Hunk]) -> bytes | None:
    """The documented semantics, exact matches only (the fuzzed files are matched exactly):
    each hunk at the first occurrence of its old lines from where the previous one ended (at the
    very end first when marked so); the file keeps its line ending and final-newline state."""
    lines = list(file.lines)
    out: list[str] = []
    cursor = 0
    for before, removed, added, after, at_end in hunks:
        spec = [(" ", x) for x in before] + [("-", x) for x in removed]
        spec += [("+", x) for x in added] + [(" ", x) for x in after]
        spot = None
        while spec:
            old = [x for kind, x in spec if kind != "+"]
            spot = _first(lines, old, cursor, at_end)
            if spot is not None or spec[-1] != (" ", ""):  # a blank context line past the end
                break
            spec = spec[:-1]
        if spot is None:
            return None
        out += lines[cursor:spot] + [x for kind, x in spec if kind != "-"]
        cursor = spot + sum(kind != "+" for kind, _ in spec)
    out += lines[cursor:]
    if not out:
        return b""
    end = file.newline_at_end or not file.lines
    return File(tuple(out), end, file.crlf).text().encode()


def _first(lines: list[str], old: list[str], cursor: int, at_end: bool) -> int | None:
    last = len(lines) - len(old)
    if not old or last < cursor:
        return None
    if at_end and lines[last:] == old:
        return last
    return next((i for i in range(cursor, last + 1) if lines[i : i + len(old)] == old), None)


def hunk_text(hunks: list[Hunk]) -> list[str]:
    body: list[str] = []
    for before, removed, added, after, at_end in hunks:
        body.append("@@")
        body += [f" {x}" for x in before] + [f"-{x}" for x in removed]
        body += [f"+{x}" for x in added] + [f" {x}" for x in after]
        if at_end:
            body.append("*** End of File")
    return body


# strategies -------------------------------------------------------------------------------------


def normal(file: File) -> File:
    """The same text, with the lines a reader of it sees (a last empty line without a newline
    after it is no line at all)."""
    body = file.text().replace("\r\n", "\n")
    lines = body.split("\n")
    if body.endswith("\n"):
        lines.pop()
    return File(tuple(lines) if body else (), body.endswith("\n"), file.crlf)


files_strategy = st.dictionaries(
    st.sampled_from(NAMES),
    st.builds(File, st.lists(LINE, max_size=12).map(tuple), st.booleans(), st.booleans()).map(
        normal
    ),
    max_size=4,
)


@st.composite
def hunks_for(draw: st.DrawFn, lines: tuple[str, ...]) -> list[Hunk]:
    hunks: list[Hunk] = []
    pos = 0
    while pos < len(lines) and len(hunks) < 4 and (not hunks or draw(st.booleans())):
        start = draw(st.integers(pos, len(lines) - 1))
        size = draw(st.integers(1, min(5, len(lines) - start)))
        seg = list(lines[start : start + size])
        i = draw(st.integers(0, size))
        j = draw(st.integers(i, size))
        added = draw(st.lists(LINE, max_size=3))
        at_end = start + size == len(lines) and draw(st.booleans())
        hunks.append((seg[:i], seg[i:j], added, seg[j:], at_end))
        pos = start + size
    return hunks


@st.composite
def valid_patches(draw: st.DrawFn) -> tuple[dict[str, File], str, dict[str, bytes] | None]:
    """A workspace, a patch for it, and what the reference says the files become (None: the
    patch must fail)."""
    files = draw(files_strategy)
    expected: dict[str, bytes] | None = {n: f.text().encode() for n, f in files.items()}
    free = [n for n in NAMES if n not in files]
    body: list[str] = []
    for name, file in files.items():
        action = draw(st.sampled_from(["keep", "update", "delete", "move"]))
        if action == "delete":
            body.append(f"*** Delete File: {name}")
            expected.pop(name)
            continue
        if action == "keep" or (action == "update" and not file.lines):
            continue
        hunks = draw(hunks_for(file.lines)) if file.lines else []
        new = reference_update(file, hunks)
        dest = name
        body.append(f"*** Update File: {name}")
        if action == "move" and free:
            dest = free.pop(draw(st.integers(0, len(free) - 1)))
            body.append(f"*** Move to: {dest}")
        elif not hunks:
            body.pop()
            continue
        body += hunk_text(hunks)
        if expected is not None:
            expected.pop(name)
            if new is None:
                expected = None
            else:
                expected[dest] = new
    for name in list(free):
        if draw(st.booleans()):
            lines = draw(st.lists(LINE, max_size=4))
            body.append(f"*** Add File: {name}")
            body += [f"+{x}" for x in lines]
            if expected is not None:
                expected[name] = "".join(f"{x}\n" for x in lines).encode()
    if not body:
        body = ["*** Add File: new.txt", "+x"]
        if expected is not None:
            expected["new.txt"] = b"x\n"
    return files, "\n".join(["*** Begin Patch", *body, "*** End Patch"]) + "\n", expected


@FUZZ
@given(valid_patches())
def test_valid_patches_do_what_the_reference_says(case) -> None:
    files, text, expected = case
    with workspace(files) as root:
        before = state(root)
        try:
            apply_patch(text, root)
        except PatchError as exc:
            assert expected is None, f"{exc}\n{text}"
            assert state(root) == before
        else:
            assert expected is not None, text
            assert contents(root) == expected
        no_leftovers(root)


JUNK = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12) | (
    st.sampled_from(
        [
            "*** Begin Patch",
            "*** End Patch",
            "*** End of File",
            "*** Add File: a.txt",
            "*** Add File: d",
            "*** Update File: d/c.txt",
            "*** Delete File: d/e",
            "*** Move to: a.txt/x",
            "@@",
            "@@ a",
            "+",
            "-",
            " ",
            "",
            "+\x00",
            "*** Add File: x\x00y",
        ]
    )
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[dict[str, File], str]:
    files, text, _ = draw(valid_patches())
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines)))
        kind = draw(st.sampled_from(["drop", "dup", "insert", "swap", "cut", "char"]))
        if kind == "insert" or not lines:
            lines.insert(at, draw(JUNK))
            continue
        at = min(at, len(lines) - 1)
        other = draw(st.integers(0, len(lines) - 1))
        if kind == "drop":
            del lines[at]
        elif kind == "dup":
            lines.insert(at, lines[at])
        elif kind == "swap":
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "cut":
            lines = lines[:at]
        else:
            spot = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:spot] + draw(JUNK) + lines[at][spot + 1 :]
    return files, "\n".join(lines)


@FUZZ
@given(mutated())
def test_mutated_patches_fail_cleanly_or_apply_whole(case) -> None:
    files, text = case
    with workspace(files) as root:
        before = state(root)
        out = run_tool(root, text)
        if not out.ok:
            assert out.output.startswith("error: ") and len(out.output) > 20
            assert state(root) == before
        no_leftovers(root)


SEGMENTS = st.sampled_from(
    ["..", ".", "~", "~kodo-nobody", "", "outside", "link", "dirlink", "a", "a.txt", "x" * 300, "/"]
)
HOSTILE = st.lists(SEGMENTS, min_size=1, max_size=5).map("/".join) | st.sampled_from(
    ["/etc/passwd", "../outside/secret.txt", "/tmp/kodo-fuzz-escape", "link/secret.txt"]
)


@st.composite
def hostile_patches(draw: st.DrawFn) -> str:
    body: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        path = draw(HOSTILE)
        op = draw(st.sampled_from(["add", "delete", "update", "move"]))
        if op == "add":
            body += [f"*** Add File: {path}", "+owned"]
        elif op == "delete":
            body.append(f"*** Delete File: {path}")
        elif op == "update":
            body += [f"*** Update File: {path}", "@@", "-secret", "+owned"]
        else:
            body += ["*** Update File: a.txt", f"*** Move to: {path}"]
    return "\n".join(["*** Begin Patch", *body, "*** End Patch"]) + "\n"


def digest(root: Path, skip: Path) -> str:
    """A hash of every entry under ``root`` but ``skip``, links as links."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path == skip or skip in path.parents:
            continue
        h.update(str(path.relative_to(root)).encode())
        if path.is_symlink():
            h.update(str(path.readlink()).encode())
        elif path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


@FUZZ
@given(hostile_patches())
def test_hostile_paths_touch_nothing_outside_the_workspace(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sentinel = Path(tmp)
        (sentinel / "outside").mkdir()
        (sentinel / "outside" / "secret.txt").write_text("secret\n")
        (sentinel / "sibling.txt").write_text("secret\n")
        root = sentinel / "ws"
        (root / "a").mkdir(parents=True)
        (root / "a.txt").write_text("secret\n")
        (root / "link").symlink_to(sentinel / "outside")
        (root / "dirlink").symlink_to("..")
        around = digest(sentinel, root)
        run_tool(root, text)
        assert digest(sentinel, root) == around
        assert not Path("/tmp/kodo-fuzz-escape").exists()
        no_leftovers(root)


@settings(FUZZ, max_examples=12)
@given(mutated())
def test_kodo_apply_patch_never_prints_a_traceback(case) -> None:
    files, text = case
    with workspace(files) as root:
        before = state(root)
        done = subprocess.run(
            [sys.executable, "-m", "kodo", "apply-patch"],
            input=text.encode("utf-8", "surrogatepass"),
            cwd=root,
            capture_output=True,
            timeout=60,
        )
        assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
        assert done.returncode in (0, 1)
        if done.returncode:
            assert done.stderr.startswith(b"kodo apply-patch: ")
            assert state(root) == before
        no_leftovers(root)
