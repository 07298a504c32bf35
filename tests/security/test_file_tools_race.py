"""The host-side file tools against a sandboxed process racing them. While a background process
swaps a workspace directory, and a workspace file, with symlinks to a bait outside the workspace
(a secret configured as a hidden path), thousands of real tool calls never show the secret and
never write into the bait directory. A positive control proves the swapper really produces the
symlink state, so the test cannot pass because the probe is broken. ``kodo apply-patch`` on the
command line stays inside its working directory the same way."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kodo.config import Config
from kodo.records import to_plain
from kodo.sandbox.local import LocalExecutor
from kodo.tools.base import ToolContext, ToolOutput
from kodo.tools.builtin import file_tools
from kodo.tools.registry import ToolRegistry
from kodo.tools.search import SearchTool

SECRET = "BAIT-SECRET-7f3a9c"
HAVE_RG = shutil.which("rg") is not None
ROUNDS = 1000

# Exchanges ws/sub with ws/.link (a symlink to the bait directory) and ws/file.txt with
# ws/.file-link (a symlink to the secret) atomically, as fast as it can, until ws/stop appears;
# prints how many exchanges it made. renameat2(AT_FDCWD = -100, ..., RENAME_EXCHANGE = 2): the
# names never go missing.
SWAPPER = """
import ctypes, os, sys
os.chdir(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
def exchange(a, b):
    if libc.renameat2(-100, a, -100, b, 2):
        raise OSError(ctypes.get_errno(), "renameat2")
n = 0
while not os.path.exists("stop"):
    exchange(b"sub", b".link")
    exchange(b"file.txt", b".file-link")
    n += 1
if n % 2:
    exchange(b"sub", b".link")
    exchange(b"file.txt", b".file-link")
print(n)
"""


def patch(*body: str) -> str:
    return "\n".join(["*** Begin Patch", *body, "*** End Patch"]) + "\n"


def seen(out: ToolOutput) -> str:
    return out.output + json.dumps(to_plain(out.detail))


def test_file_tools_never_follow_a_racing_symlink_swap(tmp_path: Path) -> None:
    ws, bait = tmp_path / "ws", tmp_path / "bait"
    (ws / "sub").mkdir(parents=True)
    bait.mkdir()
    (ws / "sub" / "note.txt").write_text("plain text\n")
    (ws / "file.txt").write_text("plain text\n")
    (bait / "note.txt").write_text(f"{SECRET}\n")
    (ws / ".link").symlink_to(bait)
    (ws / ".file-link").symlink_to(bait / "note.txt")
    cfg = Config(hidden_paths=[str(bait / "note.txt")])
    ctx = ToolContext(ws, cfg, lambda e: None, LocalExecutor(cfg))
    tools = ToolRegistry(file_tools())
    python_search = ToolRegistry([SearchTool(use_rg=False)])
    calls = [
        (tools, "read_file", {"path": "sub/note.txt"}),
        (tools, "read_file", {"path": "file.txt"}),
        (tools, "list_dir", {"path": "sub", "depth": 1}),
        (python_search, "search", {"pattern": "SECRET|plain", "path": "sub"}),
        (python_search, "search", {"pattern": "SECRET|plain", "path": "file.txt"}),
        (
            tools,
            "apply_patch",
            {"patch": patch("*** Update File: sub/note.txt", "-plain text", "+plain text")},
        ),
    ]
    adds = (
        patch("*** Add File: sub/added.txt", "+added"),
        patch("*** Delete File: sub/added.txt"),
    )
    ok: dict[str, int] = {}
    leaked: list[str] = []
    made = naive_hits = 0
    swapper = subprocess.Popen(
        [sys.executable, "-c", SWAPPER, str(ws)], stdout=subprocess.PIPE, text=True
    )
    start = time.monotonic()
    try:
        for i in range(ROUNDS):
            round_calls = [*calls, (tools, "apply_patch", {"patch": adds[i % 2]})]
            if HAVE_RG and i % 5 == 0:  # ripgrep opens what it walks by name: see search.py
                path = "." if i % 10 else "file.txt"
                round_calls.append((tools, "search", {"pattern": "SECRET|plain", "path": path}))
            for registry, name, args in round_calls:
                out = registry.dispatch(name, json.dumps(args), ctx)
                made += 1
                if SECRET in seen(out):
                    leaked.append(f"{name} {args}: {seen(out)}")
                if out.ok and "error" not in out.output:
                    ok[name] = ok.get(name, 0) + 1
            for naive in (ws / "sub" / "note.txt", ws / "file.txt"):  # the positive control
                with contextlib.suppress(OSError):
                    naive_hits += SECRET in naive.read_text()
    finally:
        (ws / "stop").touch()
        swaps = int(swapper.communicate(timeout=30)[0])
    elapsed = time.monotonic() - start
    print(f"{made} tool calls ({ok}), {swaps} swaps, {naive_hits} naive hits, {elapsed:.1f} s")
    assert sorted(p.name for p in bait.iterdir()) == ["note.txt"]
    assert (bait / "note.txt").read_text() == f"{SECRET}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bait", "ws"]
    assert not leaked, leaked[:3]
    assert swaps > 1000 and naive_hits > 0, (swaps, naive_hits)
    assert not (ws / "sub").is_symlink() and (ws / "sub" / "note.txt").read_text() == "plain text\n"
    for name in ("read_file", "list_dir", "search", "apply_patch"):
        assert ok.get(name, 0) > 0, ok  # the tools did work between the swaps


@pytest.fixture
def cli_dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    cwd, outside, home = tmp_path / "cwd", tmp_path / "outside", tmp_path / "home"
    for d in (cwd / "sub", outside, home):
        d.mkdir(parents=True)
    (outside / "target.txt").write_text("untouched\n")
    (cwd / "out").symlink_to(outside)
    (cwd / "leak.txt").symlink_to(outside / "target.txt")
    return cwd, outside, home


def kodo_apply_patch(cwd: Path, home: Path, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kodo", "apply-patch"],
        input=text,
        cwd=cwd,
        env={**os.environ, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_kodo_apply_patch_stays_in_its_working_directory(cli_dirs: tuple[Path, Path, Path]) -> None:
    cwd, outside, home = cli_dirs
    good = kodo_apply_patch(cwd, home, patch("*** Add File: sub/ok.txt", "+fine"))
    assert good.returncode == 0, good.stderr  # the positive control: a normal path works
    assert (cwd / "sub" / "ok.txt").read_text() == "fine\n"
    for body in (
        ["*** Add File: ../escape.txt", "+x"],
        [f"*** Add File: {outside / 'abs.txt'}", "+x"],
        ["*** Add File: ~/tilde.txt", "+x"],
        ["*** Add File: out/via-link.txt", "+x"],
        ["*** Update File: leak.txt", "-untouched", "+owned"],
        ["*** Update File: out/target.txt", "-untouched", "+owned"],
    ):
        run = kodo_apply_patch(cwd, home, patch(*body))
        assert run.returncode == 1, (body, run.stdout)
        assert "outside the writable area" in run.stderr, run.stderr
    assert sorted(p.name for p in outside.iterdir()) == ["target.txt"]
    assert (outside / "target.txt").read_text() == "untouched\n"
    assert not list(home.iterdir()) and not (cwd.parent / "escape.txt").exists()
