"""apply_patch never crashes, never hangs, never half-applies, never follows a symlink silently,
and stays fast on hostile input (issue 13). Obstacles are real: directories, FIFOs, sockets,
device nodes, symlinks, a file-size limit; where one must appear between planning and writing,
it is put there by a concurrent-looking hook around the real commit."""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import kodo.tools.apply_patch as apply_patch_module
from kodo.config import Config
from kodo.sandbox.local import LocalExecutor
from kodo.tools.apply_patch import ApplyPatchTool, PatchError, apply_patch, write_file
from kodo.tools.base import ToolContext, ToolOutput
from kodo.tools.patch_commit import TEMP_SUFFIX
from kodo.tools.registry import ToolRegistry


def patch(*body: str) -> str:
    return "\n".join(["*** Begin Patch", *body, "*** End Patch"]) + "\n"


def run_tool(ws: Path, text: str) -> ToolOutput:
    cfg = Config()
    ctx = ToolContext(ws, cfg, lambda e: None, LocalExecutor(cfg))
    return ToolRegistry([ApplyPatchTool()]).dispatch(
        "apply_patch", json.dumps({"patch": text}), ctx
    )


def cli(ws: Path, data: bytes, **kwargs) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kodo", "apply-patch"],
        input=data,
        cwd=ws,
        capture_output=True,
        timeout=60,
        **kwargs,
    )


def state(root: Path) -> dict[str, object]:
    """Every entry under ``root``: a file's bytes and inode, a directory, a link's target, or
    another kind, so a test sees any change at all (a new empty directory included)."""
    out: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        rel = str(path.relative_to(root))
        if stat.S_ISLNK(info.st_mode):
            out[rel] = ("link", os.readlink(path))
        elif stat.S_ISREG(info.st_mode):
            out[rel] = ("file", path.read_bytes(), info.st_ino, stat.S_IMODE(info.st_mode))
        else:
            out[rel] = ("kind", stat.S_IFMT(info.st_mode))
    return out


def no_leftovers(root: Path) -> None:
    assert not [p for p in root.rglob("*") if p.name.endswith(TEMP_SUFFIX)]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "ws").mkdir()
    return tmp_path / "ws"


# never crash ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (["*** Add File: a", "+x", "*** Add File: a/b", "+y"], "writes a as a file"),
        (["*** Add File: a/b", "+y", "*** Add File: a", "+x"], "writes a as a file"),
        (["*** Delete File: f.txt", "*** Add File: f.txt/b", "+y"], "deletes the file f.txt"),
        (["*** Add File: f.txt/b", "+y"], "f.txt is a file, so it cannot hold f.txt/b"),
        (["*** Add File: f.txt/deeper/b", "+y"], "f.txt is a file"),
    ],
)
def test_a_path_cannot_be_both_a_file_and_a_directory(
    ws: Path, body: list[str], expected: str
) -> None:
    (ws / "f.txt").write_text("f\n")
    before = state(ws)
    out = run_tool(ws, patch(*body))
    assert not out.ok
    assert expected in out.output and "Nothing was changed" in out.output
    assert state(ws) == before


def test_text_that_cannot_be_encoded_is_refused_with_its_line(ws: Path) -> None:
    out = run_tool(ws, patch("*** Add File: s.txt", "+fine", "+bad \ud800 here"))
    assert not out.ok
    assert "line 4" in out.output and "lone surrogate" in out.output
    with pytest.raises(PatchError, match="lone surrogate"):
        write_file("w.txt", "bad \udc80\n", ws)
    assert state(ws) == {}


def test_a_nul_byte_in_a_path_is_refused(ws: Path) -> None:
    out = run_tool(ws, patch("*** Add File: a\0b.txt", "+x"))
    assert not out.ok and "NUL byte" in out.output
    done = cli(ws, patch("*** Delete File: x\0y").encode())
    assert done.returncode == 1 and b"NUL byte" in done.stderr and b"Traceback" not in done.stderr
    with pytest.raises(PatchError, match="NUL byte"):
        write_file("n\0.txt", "x\n", ws)
    assert state(ws) == {}


@pytest.mark.parametrize(
    "text",
    [
        patch("*** Add File: a.txt", "+a") + patch("*** Add File: b.txt", "+b"),
        "```\n" + patch("*** Add File: a.txt", "+a") + "```\n```\n"
        "" + patch("*** Add File: b.txt", "+b") + "```\n",
        patch("*** Add File: a.txt", "+a", "*** Begin Patch", "*** Add File: b.txt", "+b"),
    ],
    ids=["back-to-back", "two-fences", "nested-begin"],
)
def test_two_patches_in_one_text_are_named_as_such(ws: Path, text: str) -> None:
    out = run_tool(ws, text)
    assert not out.ok
    assert "two patches found" in out.output and "Send one patch" in out.output
    assert state(ws) == {}


def test_an_early_end_marker_is_reported(ws: Path) -> None:
    out = run_tool(ws, patch("*** Add File: a.txt", "+a", "*** End Patch", "*** Add File: b", "+b"))
    assert not out.ok and "comes before the end of the patch" in out.output
    assert state(ws) == {}


def test_the_home_of_an_unknown_user_is_just_a_name(ws: Path) -> None:
    out = run_tool(ws, patch("*** Add File: ~kodo-nobody/x.txt", "+x"))
    assert out.ok, out.output
    assert (ws / "~kodo-nobody" / "x.txt").read_text() == "x\n"


def test_cli_rejects_non_utf8_input_cleanly(ws: Path) -> None:
    done = cli(ws, b"*** Begin Patch\n*** Add File: a.txt\n+\xff\xfe\n*** End Patch\n")
    assert done.returncode == 1
    assert b"not UTF-8" in done.stderr and b"Traceback" not in done.stderr
    assert state(ws) == {}


# never hang -------------------------------------------------------------------------------------


def special_files(ws: Path) -> dict[str, str]:
    os.mkfifo(ws / "fifo")
    (ws / "folder").mkdir()
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(ws / "sock"))
    sock.close()
    kinds = {"fifo": "a FIFO", "folder": "a directory", "sock": "a socket"}
    try:
        os.mknod(ws / "dev", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        kinds["dev"] = "a character device"
    except PermissionError:
        pass  # not allowed to make device nodes here
    return kinds


@pytest.mark.parametrize("op", ["update", "delete", "move"])
def test_special_files_are_refused_at_once(ws: Path, op: str) -> None:
    kinds = special_files(ws)
    before = state(ws)
    for name, kind in kinds.items():
        body = {
            "update": [f"*** Update File: {name}", "@@", "+x"],
            "delete": [f"*** Delete File: {name}"],
            "move": [f"*** Update File: {name}", f"*** Move to: moved-{name}"],
        }[op]
        start = time.monotonic()
        done = cli(ws, patch(*body).encode())  # a blocking read would hit the timeout
        assert time.monotonic() - start < 30
        assert done.returncode == 1, done.stdout
        assert f"{name} is {kind}".encode() in done.stderr, done.stderr
        assert b"Traceback" not in done.stderr
    assert state(ws) == before


def test_a_new_file_is_not_written_over_a_special_file(ws: Path) -> None:
    kinds = special_files(ws)
    before = state(ws)
    for name in kinds:
        out = run_tool(ws, patch(f"*** Add File: {name}", "+x"))
        assert not out.ok and "Nothing was changed" in out.output
    assert state(ws) == before


# bounded cost -----------------------------------------------------------------------------------


def test_a_near_miss_on_a_1mb_minified_line_fails_fast_and_quotes_it_short(ws: Path) -> None:
    line = "".join(f"var a{i}={i};" for i in range(100_000))[:1_000_000]
    (ws / "app.min.js").write_text(f"// header\n{line}\n// footer\n")
    near = line[:500_000] + "X" + line[500_001:]
    start = time.monotonic()
    out = run_tool(ws, patch("*** Update File: app.min.js", "@@", f" {near}", "-// footer"))
    elapsed = time.monotonic() - start
    assert not out.ok
    assert elapsed < 10  # it took more than five minutes before; milliseconds now
    assert "closest lines in app.min.js are 2-3" in out.output
    assert len(out.output) < 4000  # the 1 MB line is quoted abbreviated, not twice in full
    assert "more characters]" in out.output


def test_repeated_lines_cost_linear_time(ws: Path) -> None:
    """Thousands of identical lines against a pattern of hundreds of them, one line off at the
    end: the naive search compares about 40 million lines, and the closest-lines vote as many."""
    (ws / "data.txt").write_text("0\n" * 40_000)
    body = ["*** Update File: data.txt", "@@", *[" 0"] * 999, "-1", "+2"]
    start = time.monotonic()
    out = run_tool(ws, patch(*body))
    assert not out.ok and "did not match" in out.output
    assert time.monotonic() - start < 10


# all or nothing ---------------------------------------------------------------------------------


def concurrently(monkeypatch: pytest.MonkeyPatch, change) -> None:
    """Run ``change`` after the patch is planned and just before it is written, as another
    process working in the same directory could."""
    real_commit = apply_patch_module.commit

    def commit(*args, **kwargs):
        change()
        return real_commit(*args, **kwargs)

    commit.__wrapped__ = real_commit
    monkeypatch.setattr(apply_patch_module, "commit", commit)


def late_patch() -> str:
    return patch(
        "*** Update File: one.txt",
        "@@",
        "-one",
        "+ONE",
        "*** Delete File: gone.txt",
        "*** Add File: made/deep/new.txt",
        "+new",
        "*** Update File: two.txt",
        "*** Move to: moved/two.txt",
        "@@",
        "-two",
        "+TWO",
        "*** Add File: last.txt",
        "+last",
    )


def late_files(ws: Path) -> None:
    (ws / "one.txt").write_text("one\n")
    (ws / "gone.txt").write_text("gone\n")
    (ws / "two.txt").write_text("two\n")
    (ws / "two.txt").chmod(0o750)


@pytest.mark.parametrize("obstacle", ["directory", "fifo", "file"])
def test_a_late_failure_rolls_back_every_step(
    ws: Path, monkeypatch: pytest.MonkeyPatch, obstacle: str
) -> None:
    """The obstacle meets the last write, after the others were swapped in: each is undone
    (the same inodes back, modes kept), the made directories removed, the obstacle kept."""
    late_files(ws)
    before = state(ws)

    def block() -> None:
        if obstacle == "directory":
            (ws / "last.txt").mkdir()
            (ws / "last.txt" / "inside").write_text("theirs\n")
        elif obstacle == "fifo":
            os.mkfifo(ws / "last.txt")
        else:
            (ws / "last.txt").write_text("theirs\n")

    concurrently(monkeypatch, block)
    out = run_tool(ws, late_patch())
    assert not out.ok
    assert out.output.startswith("error: cannot write last.txt: ")
    assert "Nothing was changed" in out.output
    after = state(ws)
    assert {k: v for k, v in after.items() if not k.startswith("last.txt")} == before
    if obstacle == "directory":
        assert (ws / "last.txt" / "inside").read_text() == "theirs\n"
    elif obstacle == "fifo":
        assert stat.S_ISFIFO((ws / "last.txt").lstat().st_mode)
    else:
        assert (ws / "last.txt").read_text() == "theirs\n"
    no_leftovers(ws)


def test_rollback_restores_the_very_same_files(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    late_files(ws)
    before = state(ws)
    concurrently(monkeypatch, lambda: (ws / "last.txt").mkdir())
    out = run_tool(ws, late_patch())
    assert not out.ok and "a directory is in the way" in out.output
    (ws / "last.txt").rmdir()
    assert state(ws) == before  # bytes, modes and inodes: restored, not rewritten


def test_a_file_changed_meanwhile_is_not_overwritten(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    late_files(ws)

    def rewrite() -> None:
        (ws / "two.txt").unlink()
        (ws / "two.txt").write_text("their two\n")

    concurrently(monkeypatch, rewrite)
    out = run_tool(ws, late_patch())
    assert not out.ok and "cannot write two.txt: it was changed by something else" in out.output
    assert (ws / "two.txt").read_text() == "their two\n"
    assert (ws / "one.txt").read_text() == "one\n" and (ws / "gone.txt").exists()
    assert sorted(p.name for p in ws.iterdir()) == ["gone.txt", "one.txt", "two.txt"]


def test_an_interrupt_mid_write_rolls_back_then_goes_on(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real SIGINT (Ctrl-C) arriving after the first file was swapped in."""
    late_files(ws)
    before = state(ws)
    real_replace = os.replace
    calls = []

    def replace(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            signal.raise_signal(signal.SIGINT)
        return real_replace(*args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        apply_patch(late_patch(), ws)
    monkeypatch.undo()
    assert state(ws) == before


def test_without_hard_links_the_old_file_is_moved_aside(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some file systems (FAT, some FUSE mounts) refuse hard links: the old file is renamed
    aside instead, and a late failure still puts it back."""
    late_files(ws)
    before = state(ws)

    def no_link(src, dst, *, src_dir_fd, dst_dir_fd, follow_symlinks):
        os.stat(src, dir_fd=src_dir_fd, follow_symlinks=False)  # ENOENT first, as the kernel
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    concurrently(monkeypatch, lambda: (ws / "last.txt").mkdir())
    out = run_tool(ws, late_patch())
    assert not out.ok and "cannot write last.txt: a directory is in the way" in out.output
    (ws / "last.txt").rmdir()
    assert state(ws) == before
    monkeypatch.setattr(apply_patch_module, "commit", apply_patch_module.commit.__wrapped__)
    assert run_tool(ws, late_patch()).ok
    assert (ws / "moved/two.txt").read_text() == "TWO\n" and not (ws / "gone.txt").exists()
    no_leftovers(ws)


def test_a_full_disk_while_staging_changes_nothing(ws: Path) -> None:
    """A file-size limit makes writes fail as a full disk does (EFBIG instead of ENOSPC)."""
    late_files(ws)
    before = state(ws)
    big = ["*** Add File: made/big.txt", *["+" + "x" * 1000] * 200]
    text = patch("*** Update File: one.txt", "@@", "-one", "+ONE", *big)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    done = cli(ws, text.encode(), preexec_fn=limit)
    assert done.returncode == 1, done.stdout
    assert b"cannot write made/big.txt: File too large. Nothing was changed" in done.stderr
    assert state(ws) == before


def test_failure_after_creating_directories_removes_them(ws: Path) -> None:
    (ws / "keep").mkdir()
    before = state(ws)
    out = run_tool(
        ws,
        patch("*** Add File: keep/a/b/c.txt", "+c", "*** Update File: nope.txt", "@@", "-x", "+y"),
    )
    assert not out.ok
    assert state(ws) == before


# symbolic links ---------------------------------------------------------------------------------


@pytest.fixture
def linked(ws: Path) -> Path:
    (ws / "real.txt").write_text("a\n")
    (ws / "alias.txt").symlink_to("real.txt")
    (ws / "dangling").symlink_to("nowhere.txt")
    return ws


def test_updating_a_link_edits_its_target_and_says_so(linked: Path) -> None:
    out = run_tool(linked, patch("*** Update File: alias.txt", "@@", "-a", "+b"))
    assert out.ok, out.output
    assert "Note: alias.txt is a symbolic link: its target real.txt was edited" in out.output
    assert os.readlink(linked / "alias.txt") == "real.txt"
    assert (linked / "real.txt").read_text() == "b\n"


def test_moving_a_link_is_refused_and_its_target_kept(linked: Path) -> None:
    before = state(linked)
    for body in (
        ["*** Update File: alias.txt", "*** Move to: moved.txt", "@@", "-a", "+b"],
        ["*** Update File: alias.txt", "*** Move to: moved.txt"],
    ):
        out = run_tool(linked, patch(*body))
        assert not out.ok
        assert "cannot move alias.txt: it is a symbolic link (to real.txt)" in out.output
    assert state(linked) == before


def test_deleting_a_link_removes_the_link_only(linked: Path) -> None:
    out = run_tool(linked, patch("*** Delete File: alias.txt", "*** Delete File: dangling"))
    assert out.ok, out.output
    assert "the link was removed, not real.txt" in out.output
    assert sorted(p.name for p in linked.iterdir()) == ["real.txt"]
    assert (linked / "real.txt").read_text() == "a\n"


def test_nothing_is_written_through_a_link_by_add_or_move(linked: Path) -> None:
    (linked / "src.txt").write_text("s\n")
    before = state(linked)
    for body, expected in (
        (["*** Add File: dangling", "+x"], "it already exists (a symbolic link to nowhere.txt)"),
        (["*** Add File: alias.txt", "+x"], "already exists"),
        (["*** Update File: src.txt", "*** Move to: dangling"], "dangling already exists"),
    ):
        out = run_tool(linked, patch(*body))
        assert not out.ok and expected in out.output
    assert state(linked) == before
    assert not (linked / "nowhere.txt").exists()


def test_a_link_deleted_then_added_becomes_a_plain_file(linked: Path) -> None:
    out = run_tool(linked, patch("*** Delete File: alias.txt", "*** Add File: alias.txt", "+new"))
    assert out.ok, out.output
    assert not (linked / "alias.txt").is_symlink()
    assert (linked / "alias.txt").read_text() == "new\n"
    assert (linked / "real.txt").read_text() == "a\n"


# deliberate differences from Codex, with what to send instead -----------------------------------


def test_add_over_an_existing_file_says_how_to_replace_it(ws: Path) -> None:
    (ws / "dup.txt").write_text("old\n")
    out = run_tool(ws, patch("*** Add File: dup.txt", "+new"))
    assert not out.ok and "'*** Delete File: dup.txt' and then '*** Add File: dup.txt'" in (
        out.output
    )
    assert run_tool(ws, patch("*** Delete File: dup.txt", "*** Add File: dup.txt", "+new")).ok
    assert (ws / "dup.txt").read_text() == "new\n"


def test_move_onto_an_existing_file_says_how_to_replace_it(ws: Path) -> None:
    (ws / "a.txt").write_text("a\n")
    (ws / "b.txt").write_text("b\n")
    out = run_tool(ws, patch("*** Update File: a.txt", "*** Move to: b.txt"))
    assert not out.ok and "send '*** Delete File: b.txt' before this section" in out.output
    out = run_tool(
        ws, patch("*** Delete File: b.txt", "*** Update File: a.txt", "*** Move to: b.txt")
    )
    assert out.ok, out.output
    assert sorted(p.name for p in ws.iterdir()) == ["b.txt"]
    assert (ws / "b.txt").read_text() == "a\n"


def test_missing_final_newline_is_kept_and_the_way_to_add_one_works(ws: Path) -> None:
    (ws / "n.txt").write_text("first\nlast")
    out = run_tool(ws, patch("*** Update File: n.txt", "@@", " first", "-last", "+final"))
    assert out.ok and "n.txt still has no newline at the end" in out.output
    assert (ws / "n.txt").read_text() == "first\nfinal"
    out = run_tool(ws, patch("*** Update File: n.txt", "@@", " final", "+", "*** End of File"))
    assert out.ok and "Note" not in out.output
    assert (ws / "n.txt").read_text() == "first\nfinal\n"


# forgiving where models slip --------------------------------------------------------------------


def test_padded_markers_and_blank_lines_in_an_added_file(ws: Path) -> None:
    (ws / "u.txt").write_text("old\n")
    text = (
        "  *** Begin Patch\n"
        "  *** Add File: a.py\n"
        "+import os\n"
        "\n"
        "+print(os.sep)\n"
        "\n"
        "\t*** Update File: u.txt\n"
        "  *** Move to: v.txt\n"
        "@@\n"
        "-old\n"
        "+new\n"
        "*** End Patch  \n"
    )
    out = run_tool(ws, text)
    assert out.ok, out.output
    assert (ws / "a.py").read_text() == "import os\n\nprint(os.sep)\n"
    assert (ws / "v.txt").read_text() == "new\n" and not (ws / "u.txt").exists()


def test_typographic_punctuation_in_context_still_matches(ws: Path) -> None:
    (ws / "doc.md").write_text("It\u2019s a \u201cquote\u201d \u2014 see\u00a0below\nnext\n")
    out = run_tool(
        ws, patch("*** Update File: doc.md", "@@", ' It\'s a "quote" - see below', "-next", "+then")
    )
    assert out.ok, out.output
    assert (
        ws / "doc.md"
    ).read_text() == "It\u2019s a \u201cquote\u201d \u2014 see\u00a0below\nthen\n"
