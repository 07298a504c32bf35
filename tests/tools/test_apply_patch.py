"""apply_patch: the Codex patch format applied to real files, all or nothing, only where the
session may write."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from kodo.config import Config
from kodo.events import FileChange
from kodo.records import read
from kodo.sandbox.local import LocalExecutor
from kodo.tools.apply_patch import ApplyPatchTool, PatchError, apply_patch
from kodo.tools.base import ToolContext, ToolOutput
from kodo.tools.registry import ToolRegistry


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "ws").mkdir()
    (tmp_path / "outside").mkdir()
    return tmp_path / "ws"


def run_tool(ws: Path, patch: str, **config) -> ToolOutput:
    cfg = read(Config, config)
    ctx = ToolContext(ws, cfg, lambda e: None, LocalExecutor(cfg))
    return ToolRegistry([ApplyPatchTool()]).dispatch(
        "apply_patch", json.dumps({"patch": patch}), ctx
    )


def patch(*body: str) -> str:
    return "\n".join(["*** Begin Patch", *body, "*** End Patch"]) + "\n"


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_add_update_delete_and_move_in_one_patch(ws: Path) -> None:
    (ws / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (ws / "old.txt").write_text("bye\n")
    (ws / "name.txt").write_text("one\ntwo\n")
    out = run_tool(
        ws,
        patch(
            "*** Add File: pkg/new.py",
            "+print('new')",
            "+",
            "*** Update File: calc.py",
            "@@ def add(a, b):",
            "-    return a - b",
            "+    return a + b",
            "*** Delete File: old.txt",
            "*** Update File: name.txt",
            "*** Move to: renamed/name.txt",
            "@@",
            " one",
            "-two",
            "+three",
        ),
    )
    assert out.ok, out.output
    assert (ws / "pkg/new.py").read_text() == "print('new')\n\n"
    assert (ws / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert not (ws / "old.txt").exists()
    assert not (ws / "name.txt").exists()
    assert (ws / "renamed/name.txt").read_text() == "one\nthree\n"
    assert out.output == (
        "Success. Updated the following files:\n"
        "A pkg/new.py\nM calc.py\nD old.txt\nM renamed/name.txt"
    )
    assert out.detail.files == [
        FileChange("pkg/new.py", "add"),
        FileChange("calc.py", "update"),
        FileChange("old.txt", "delete"),
        FileChange("name.txt", "move", "renamed/name.txt"),
    ]
    diff = out.detail.diff
    assert "--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1,2 @@\n+print('new')\n+\n" in diff
    assert (
        "--- a/calc.py\n+++ b/calc.py\n" in diff and "-    return a - b\n+    return a + b" in diff
    )
    assert "--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n" in diff
    assert "--- a/name.txt\n+++ b/renamed/name.txt\n" in diff


def test_a_call_is_titled_with_the_files_it_touches() -> None:
    def title(text: str) -> str:
        arguments = json.dumps({"patch": text})
        return ToolRegistry([ApplyPatchTool()]).prepare("apply_patch", arguments).title

    sections = [f"*** Delete File: f{i}.py" for i in range(5)]
    assert title(patch("*** Update File: a.py", "*** Move to: b.py", "@@", "-x", "+y")) == (
        "apply_patch a.py, b.py"
    )
    assert title(patch(*sections)) == "apply_patch f0.py, f1.py, f2.py, 2 more"
    assert title("not a patch") == "apply_patch"


def test_hunks_apply_in_order_each_after_the_previous(ws: Path) -> None:
    (ws / "f.txt").write_text("x = 1\nA\nx = 1\nB\nx = 1\nC\n")
    apply_patch(
        patch("*** Update File: f.txt", "@@", "-x = 1", "+x = 10", "@@", "-x = 1", "+x = 20"), ws
    )
    assert (ws / "f.txt").read_text() == "x = 10\nA\nx = 20\nB\nx = 1\nC\n"


def test_header_context_line_chooses_where_to_search(ws: Path) -> None:
    (ws / "m.py").write_text(
        "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n"
    )
    apply_patch(
        patch("*** Update File: m.py", "@@ def sub(a, b):", "-    return a - b", "+    return 0"),
        ws,
    )
    assert (ws / "m.py").read_text() == (
        "def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return 0\n"
    )


def test_stacked_headers_and_a_header_repeated_as_context(ws: Path) -> None:
    (ws / "c.py").write_text(
        "class A:\n    def f(self):\n        return 1\n"
        "class B:\n    def f(self):\n        return 1\n"
    )
    apply_patch(
        patch(
            "*** Update File: c.py",
            "@@ class B:",
            "@@     def f(self):",
            "-        return 1",
            "+        return 2",
        ),
        ws,
    )
    assert (ws / "c.py").read_text().endswith("class B:\n    def f(self):\n        return 2\n")
    apply_patch(
        patch(
            "*** Update File: c.py",
            "@@ class A:",
            " class A:",
            "     def f(self):",
            "-        return 1",
            "+        return 3",
        ),
        ws,
    )
    assert (ws / "c.py").read_text().startswith("class A:\n    def f(self):\n        return 3\n")


def test_additions_only_go_after_the_header_or_at_the_end(ws: Path) -> None:
    (ws / "a.py").write_text("import os\n\ndef main():\n    pass\n")
    apply_patch(patch("*** Update File: a.py", "@@ import os", "+import sys"), ws)
    apply_patch(patch("*** Update File: a.py", "@@", "+main()"), ws)
    assert (ws / "a.py").read_text() == "import os\nimport sys\n\ndef main():\n    pass\nmain()\n"


@pytest.mark.parametrize(
    ("context", "level"),
    [
        ("    value = compute(x)", "exact"),
        ("    value = compute(x)", "trailing"),  # the file has trailing spaces
        ("value = compute(x)", "surrounding"),  # the patch lost the indentation
    ],
)
def test_context_matching_tolerates_whitespace(ws: Path, context: str, level: str) -> None:
    line = "    value = compute(x)" + ("   " if level == "trailing" else "")
    (ws / "w.py").write_text(f"def f(x):\n{line}\n    return value\n")
    apply_patch(
        patch(
            "*** Update File: w.py", "@@", f" {context}", "-    return value", "+    return -value"
        ),
        ws,
    )
    # the context line keeps the file's own whitespace
    assert (ws / "w.py").read_text() == f"def f(x):\n{line}\n    return -value\n"


def test_end_of_file_hunk_is_anchored_at_the_end(ws: Path) -> None:
    (ws / "e.txt").write_text("end\nmiddle\nend\n")
    apply_patch(patch("*** Update File: e.txt", "@@", "-end", "+END", "*** End of File"), ws)
    assert (ws / "e.txt").read_text() == "end\nmiddle\nEND\n"


def test_crlf_file_stays_crlf(ws: Path) -> None:
    (ws / "win.txt").write_bytes(b"alpha\r\nbeta\r\ngamma\r\n")
    apply_patch(patch("*** Update File: win.txt", "@@", " alpha", "-beta", "+BETA", "+beta2"), ws)
    assert (ws / "win.txt").read_bytes() == b"alpha\r\nBETA\r\nbeta2\r\ngamma\r\n"


def test_crlf_patch_text_applies_to_lf_file(ws: Path) -> None:
    (ws / "u.txt").write_text("one\ntwo\n")
    text = patch("*** Update File: u.txt", "@@", " one", "-two", "+2").replace("\n", "\r\n")
    apply_patch(text, ws)
    assert (ws / "u.txt").read_bytes() == b"one\n2\n"


def test_missing_trailing_newline_is_preserved(ws: Path) -> None:
    (ws / "n.txt").write_text("first\nlast")
    apply_patch(patch("*** Update File: n.txt", "@@", " first", "-last", "+final"), ws)
    assert (ws / "n.txt").read_text() == "first\nfinal"


def test_blank_context_line_without_its_space_and_wrappers_are_tolerated(ws: Path) -> None:
    (ws / "b.py").write_text("a = 1\n\nb = 2\n")
    body = patch("*** Update File: b.py", "@@", " a = 1", "", "-b = 2", "+b = 3")
    wrapped = f"apply_patch <<'EOF'\n```\n{body}```\nEOF\n"
    apply_patch(wrapped, ws)
    assert (ws / "b.py").read_text() == "a = 1\n\nb = 3\n"


def test_unified_diff_style_header_is_accepted(ws: Path) -> None:
    (ws / "h.txt").write_text("a\nb\n")
    apply_patch(patch("*** Update File: h.txt", "@@ -1,2 +1,2 @@", " a", "-b", "+c"), ws)
    assert (ws / "h.txt").read_text() == "a\nc\n"


def test_file_mode_is_kept(ws: Path) -> None:
    script = ws / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    apply_patch(patch("*** Update File: run.sh", "@@", "-echo hi", "+echo hello"), ws)
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert script.read_text() == "#!/bin/sh\necho hello\n"


def test_a_failing_second_file_leaves_everything_untouched(ws: Path) -> None:
    (ws / "one.txt").write_text("keep me\n")
    (ws / "two.txt").write_text("real content\n")
    before = snapshot(ws)
    out = run_tool(
        ws,
        patch(
            "*** Update File: one.txt",
            "@@",
            "-keep me",
            "+changed",
            "*** Add File: three.txt",
            "+new",
            "*** Update File: two.txt",
            "@@",
            "-imagined content",
            "+x",
        ),
    )
    assert not out.ok
    assert snapshot(ws) == before  # no change, no new file, no temporary file left behind


def test_mismatch_error_names_file_hunk_and_nearest_lines(ws: Path) -> None:
    lines = [f"line {i}" for i in range(1, 31)]
    lines[19] = "    total = price * quantity"
    lines[20] = "    return total"
    (ws / "shop.py").write_text("\n".join(lines) + "\n")
    out = run_tool(
        ws,
        patch(
            "*** Update File: shop.py",
            "@@",
            " line 1",
            "-line 2",
            "+line two",
            "@@ line 10",
            "     total = price * qty",
            "-    return total",
            "+    return round(total, 2)",
        ),
    )
    assert not out.ok
    text = out.output
    assert text.startswith("error: shop.py: hunk 2 of 2 (patch line 7, @@ line 10) did not match")
    assert "  |    total = price * qty\n  |    return total\n" in text
    assert "closest lines in shop.py are 20-21" in text
    assert "    20\t    total = price * quantity\n    21\t    return total" in text
    assert "Re-read the file (read_file) and retry" in text
    assert (ws / "shop.py").read_text().splitlines()[1] == "line 2"


def test_missing_header_line_is_reported(ws: Path) -> None:
    (ws / "g.py").write_text("def real():\n    pass\n")
    with pytest.raises(PatchError) as err:
        apply_patch(
            patch("*** Update File: g.py", "@@ def imagined():", "-    pass", "+    ..."), ws
        )
    assert "the '@@' context line was not found" in str(err.value)
    assert "  |def imagined():" in str(err.value)
    assert "1\tdef real():" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "*** Update File: a.txt\n@@\n-a\n+b\n*** End Patch\n",
            "line 1: expected '*** Begin Patch'",
        ),
        ("*** Begin Patch\n*** Add File: a.txt\n+a\n", "expected '*** End Patch' as the last line"),
        (
            "*** Begin Patch\n*** Frobnicate: a.txt\n*** End Patch",
            "line 2: expected '*** Add File: PATH'",
        ),
        (
            "*** Begin Patch\n*** Add File: a.txt\nno plus\n*** End Patch",
            "line 3: in '*** Add File: a.txt' every line",
        ),
        (
            "*** Begin Patch\n*** Update File: a.txt\n@@\nbare\n*** End Patch",
            "line 4: in '*** Update File: a.txt', hunk lines start with",
        ),
        ("*** Begin Patch\n*** Update File: a.txt\n*** End Patch", "has no hunks"),
        ("*** Begin Patch\n*** Update File: a.txt\n@@\n*** End Patch", "no lines"),
        ("*** Begin Patch\n*** Add File:  \n*** End Patch", "needs a path"),
        ("*** Begin Patch\n*** End Patch", "no file sections"),
    ],
)
def test_malformed_patches_say_which_line_and_what_was_expected(
    ws: Path, text: str, expected: str
) -> None:
    (ws / "a.txt").write_text("a\n")
    with pytest.raises(PatchError) as err:
        apply_patch(text, ws)
    assert expected in str(err.value)
    assert (ws / "a.txt").read_text() == "a\n"


def test_line_numbers_count_from_the_text_as_sent(ws: Path) -> None:
    with pytest.raises(PatchError, match="line 5: expected"):
        apply_patch("\n```\n*** Begin Patch\n*** Add File: x\n*** Bogus\n*** End Patch\n```\n", ws)


def test_add_existing_update_missing_delete_missing(ws: Path) -> None:
    (ws / "here.txt").write_text("x\n")
    with pytest.raises(PatchError, match=r"cannot add here.txt: it already exists"):
        apply_patch(patch("*** Add File: here.txt", "+y"), ws)
    with pytest.raises(PatchError, match=r"cannot update gone.txt: no such file.*Add File"):
        apply_patch(patch("*** Update File: gone.txt", "@@", "-a", "+b"), ws)
    with pytest.raises(PatchError, match=r"cannot delete gone.txt: no such file"):
        apply_patch(patch("*** Delete File: gone.txt"), ws)
    with pytest.raises(PatchError, match=r"cannot move here.txt to there.txt: there.txt already"):
        (ws / "there.txt").write_text("z\n")
        apply_patch(patch("*** Update File: here.txt", "*** Move to: there.txt"), ws)


def test_binary_file_is_not_edited(ws: Path) -> None:
    (ws / "blob.bin").write_bytes(b"\x00\x01abc\n")
    with pytest.raises(PatchError, match=r"blob.bin is a binary file"):
        apply_patch(patch("*** Update File: blob.bin", "@@", "-abc", "+def"), ws)


def test_writes_outside_the_workspace_are_refused(ws: Path) -> None:
    outside = ws.parent / "outside"
    for target in ("../outside/evil.txt", str(outside / "evil.txt"), "/tmp/kodo-evil.txt"):
        out = run_tool(ws, patch(f"*** Add File: {target}", "+x"))
        assert not out.ok
        assert "outside the writable area" in out.output
    assert not (outside / "evil.txt").exists()
    assert not Path("/tmp/kodo-evil.txt").exists()


def test_writable_roots_and_full_access_allow_more(ws: Path) -> None:
    outside = ws.parent / "outside"
    out = run_tool(ws, patch("*** Add File: ../outside/a.txt", "+a"), writable_roots=[str(outside)])
    assert out.ok, out.output
    out = run_tool(
        ws, patch("*** Add File: ../outside/b.txt", "+b"), sandbox_mode="danger-full-access"
    )
    assert out.ok, out.output
    assert (outside / "a.txt").read_text() == "a\n" and (outside / "b.txt").read_text() == "b\n"


def test_symlink_out_of_the_workspace_is_refused(ws: Path) -> None:
    outside = ws.parent / "outside"
    (outside / "target.txt").write_text("secret\n")
    (ws / "link").symlink_to(outside)
    (ws / "file_link.txt").symlink_to(outside / "target.txt")
    for body in (
        ["*** Add File: link/new.txt", "+x"],
        ["*** Update File: link/target.txt", "@@", "-secret", "+owned"],
        ["*** Update File: file_link.txt", "@@", "-secret", "+owned"],
        ["*** Update File: ../ws/file_link.txt", "@@", "-secret", "+owned"],
    ):
        out = run_tool(ws, patch(*body))
        assert not out.ok
        assert "outside the writable area" in out.output and "resolves to" in out.output
    assert (outside / "target.txt").read_text() == "secret\n"
    assert not (outside / "new.txt").exists()


def test_symlink_inside_the_workspace_edits_its_target(ws: Path) -> None:
    (ws / "real.txt").write_text("a\n")
    (ws / "alias.txt").symlink_to(ws / "real.txt")
    assert run_tool(ws, patch("*** Update File: alias.txt", "@@", "-a", "+b")).ok
    assert (ws / "alias.txt").is_symlink()
    assert (ws / "real.txt").read_text() == "b\n"


def test_read_only_mode_writes_nothing(ws: Path) -> None:
    out = run_tool(ws, patch("*** Add File: a.txt", "+a"), sandbox_mode="read-only")
    assert not out.ok
    assert 'read-only (sandbox_mode = "read-only")' in out.output
    assert not (ws / "a.txt").exists()


def test_hidden_paths_are_not_writable(ws: Path) -> None:
    secrets = ws / "secrets"
    secrets.mkdir()
    out = run_tool(ws, patch("*** Add File: secrets/x", "+x"), hidden_paths=[str(secrets)])
    assert not out.ok and "outside the writable area" in out.output
    assert not (secrets / "x").exists()


def test_same_file_twice_in_one_patch_builds_on_the_first_change(ws: Path) -> None:
    out = run_tool(
        ws,
        patch("*** Add File: t.txt", "+one", "*** Update File: t.txt", "@@", " one", "+two"),
    )
    assert out.ok, out.output
    assert (ws / "t.txt").read_text() == "one\ntwo\n"


def test_relative_paths_resolve_against_the_given_cwd(ws: Path, monkeypatch) -> None:
    (ws / "sub").mkdir()
    monkeypatch.chdir(ws.parent)
    result = apply_patch(patch("*** Add File: made.txt", "+x"), ws / "sub")
    assert (ws / "sub/made.txt").read_text() == "x\n"
    assert result.changes[0].path == "made.txt"
    assert set(os.listdir(ws.parent)) == {"ws", "outside"}
