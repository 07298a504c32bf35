"""The parts of the bwrap command line that decide what gets masked or protected."""

from __future__ import annotations

import os
from pathlib import Path

from kodo.config import Config
from kodo.sandbox import mounts
from kodo.sandbox.mounts import MAX_SOCKET_MASKS, protected_paths, socket_masks


def test_few_sockets_are_masked_one_by_one() -> None:
    socks = [Path(f"/srv/a/s{i}") for i in range(3)] + [Path("/srv/b/s")]
    assert socket_masks(socks, keep=[]) == (socks, [])


def test_crowded_folders_are_masked_whole_unless_needed() -> None:
    crowd = [Path(f"/srv/crowd/s{i}") for i in range(MAX_SOCKET_MASKS)]
    needed = [Path(f"/srv/ws/s{i}") for i in range(MAX_SOCKET_MASKS)]
    nested = [Path("/srv/crowd/deeper/s")]
    files, dirs = socket_masks(crowd + needed + nested, keep=[Path("/srv/ws")])
    assert dirs == [Path("/srv/crowd")]
    assert files == needed  # the workspace's folder is never covered; nested ones go with it


def test_protected_paths(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".git").mkdir(parents=True)
    (ws / ".kodo").mkdir()
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / ".git").write_text("gitdir: sub\n")  # relative to the .git file's folder
    (root / "sub" / "commondir").write_text(".")
    outside = tmp_path / "outside"
    (outside / ".git").mkdir(parents=True)
    config = Config(writable_roots=[str(root)])
    expected = [ws / ".kodo", ws / ".git", root / ".git", root / "sub"]
    assert protected_paths(config, ws) == expected  # the .git file too: no swapping it
    assert protected_paths(Config(sandbox_mode="read-only"), ws) == []


def test_a_worktree_path_in_any_encoding_is_protected(tmp_path: Path) -> None:
    """git writes the ``gitdir:`` path as the filesystem's bytes; not UTF-8 is no reason to
    leave the repository writable (or to fail)."""
    ws = tmp_path / "ws"
    ws.mkdir()
    meta = os.fsencode(tmp_path / "ws" / "caf") + b"\xe9-meta"  # Latin-1, not UTF-8
    os.mkdir(meta)
    (ws / ".git").write_bytes(b"gitdir: " + meta + b"\n")
    assert protected_paths(Config(), ws) == [ws / ".git", Path(os.fsdecode(meta))]


def test_missing_git_and_kodo_are_not_created(tmp_path: Path) -> None:
    argv = mounts.bwrap_argv("bwrap", Config(), tmp_path, {}, 3)
    assert str(tmp_path / ".git") not in argv and str(tmp_path / ".kodo") not in argv


def test_run_and_sockets_stay_with_network_on(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(mounts, "host_sockets", lambda: [Path("/srv/x.sock")])
    off = mounts.bwrap_argv("bwrap", Config(), tmp_path, {}, 3)
    on = mounts.bwrap_argv("bwrap", Config(network_access=True), tmp_path, {}, 3)
    assert "/srv/x.sock" in off and "/srv/x.sock" not in on
    assert ("/run" in off) == bool(mounts.run_dirs()) and "/run" not in on
