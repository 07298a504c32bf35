"""/diff and /undo's checkpoints, on real git repositories and plain folders."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kodo.ui.checkpoints import checkpoints_for
from kodo.workspace.copies import FileCopies
from kodo.workspace.trees import GitTrees


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def make_repo(path: Path) -> Path:
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "t@example.com")
    git(path, "config", "user.name", "t")
    (path / ".gitignore").write_text("build/\n")
    (path / "a.txt").write_text("a1\n")
    git(path, "add", ".")
    git(path, "commit", "-qm", "init")
    return path


def test_git_undo_restores_edits_deletions_and_additions_per_turn(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "sub").mkdir()
    (repo / "sub" / "untracked.txt").write_text("mine\n")
    git(repo, "add", "sub/untracked.txt")
    index_before = (repo / ".git" / "index").read_bytes()
    home = repo / "home"
    home.mkdir()
    (home / "session.jsonl").write_text("{}\n")
    cps = checkpoints_for(repo / "sub", exclude=[home])
    assert isinstance(cps.snapshots, GitTrees) and cps.root == repo

    cps.take()  # turn 1
    (repo / "a.txt").write_text("a2\n")
    (repo / "new.txt").write_text("n\n")
    cps.take()  # turn 2
    (repo / "sub" / "untracked.txt").unlink()
    (home / "session.jsonl").write_text("{}\n{}\n")
    (repo / "build").mkdir()
    (repo / "build" / "out.bin").write_text("ignored\n")

    diff = cps.diff()
    assert "+a2" in diff and "+n" in diff and "-mine" in diff and "out.bin" not in diff
    assert cps.undo() == ["sub/untracked.txt"]
    assert (repo / "sub" / "untracked.txt").read_text() == "mine\n"
    assert (repo / "build" / "out.bin").exists()  # ignored files are not the checkpoint's
    assert sorted(cps.undo() or []) == ["a.txt", "new.txt"]
    assert (repo / "a.txt").read_text() == "a1\n" and not (repo / "new.txt").exists()
    assert cps.undo() is None
    assert (repo / ".git" / "index").read_bytes() == index_before
    assert (home / "session.jsonl").read_text() == "{}\n{}\n"
    assert git(repo, "status", "--porcelain") == "A  sub/untracked.txt\n?? home/\n"
    cps.close()


def test_snapshot_undo_and_diff_without_git(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("one\n")
    (tmp_path / "home").mkdir()
    cps = checkpoints_for(tmp_path, exclude=[tmp_path / "home"])
    assert isinstance(cps.snapshots, FileCopies)
    cps.take()
    (tmp_path / "a.txt").write_text("two\n")
    (tmp_path / "home" / "log").write_text("kept\n")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.txt").write_text("b\n")
    diff = cps.diff()
    assert "--- a/a.txt" in diff and "-one" in diff and "+two" in diff
    assert "--- /dev/null" in diff and "+++ b/d/b.txt" in diff
    assert cps.undo() == ["a.txt", "d/b.txt"]
    assert (tmp_path / "a.txt").read_text() == "one\n" and not (tmp_path / "d" / "b.txt").exists()
    assert (tmp_path / "home" / "log").read_text() == "kept\n"
    assert cps.undo() is None
