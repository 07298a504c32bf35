from __future__ import annotations

import subprocess
from pathlib import Path

from kodo.mcp.workspace_diff import WorkspaceSnapshot


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout


def make_repo(root: Path) -> None:
    git(root, "init", "-q")
    (root / "kept.txt").write_text("one\ntwo\n")
    (root / "doomed.txt").write_text("bye\n")
    (root / ".gitignore").write_text("build/\n")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")


def test_git_diff_has_only_the_tasks_changes_including_new_files(tmp_path: Path) -> None:
    make_repo(tmp_path)
    (tmp_path / "dirty-before.txt").write_text("already here\n")
    snapshot = WorkspaceSnapshot(tmp_path)

    (tmp_path / "kept.txt").write_text("one\n2\n")
    (tmp_path / "doomed.txt").unlink()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "new.py").write_text("print('hi')\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "out.o").write_text("ignored\n")
    diff = snapshot.diff()

    assert "diff --git a/kept.txt b/kept.txt" in diff and "-two\n+2\n" in diff
    assert "deleted file mode" in diff and "-bye" in diff
    assert "new file mode" in diff and "+print('hi')" in diff
    assert "dirty-before" not in diff  # it was there before the task
    assert "build/" not in diff
    # the real index was not touched: new files are still untracked, nothing is staged
    assert "?? pkg/" in git(tmp_path, "status", "--porcelain")
    assert git(tmp_path, "diff", "--cached") == ""


def test_without_git_the_snapshot_is_compared_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    (tmp_path / "gone.txt").write_text("old\n")
    (tmp_path / "blob.bin").write_bytes(b"\xff\x00")
    snapshot = WorkspaceSnapshot(tmp_path)

    (tmp_path / "a.txt").write_text("alpha\nbeta\n")
    (tmp_path / "gone.txt").unlink()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("new")
    (tmp_path / "blob.bin").write_bytes(b"\xff\x01")
    diff = snapshot.diff()

    assert "--- a/a.txt\n+++ b/a.txt\n" in diff and "+beta\n" in diff
    assert "--- a/gone.txt" in diff and "-old\n" in diff
    assert "+++ b/sub/b.txt" in diff and "+new\n" in diff
    assert "Binary file blob.bin changed" in diff


def test_no_changes_means_an_empty_diff(tmp_path: Path) -> None:
    make_repo(tmp_path)
    assert WorkspaceSnapshot(tmp_path).diff() == ""
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x").write_text("x")
    # inside the repo: still git; the untracked dir is part of both trees
    assert WorkspaceSnapshot(plain).diff() == ""
