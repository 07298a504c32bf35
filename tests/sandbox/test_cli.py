"""``kodo sandbox -- CMD`` through a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def kodo_sandbox(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kodo", "sandbox", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_exit_status_and_streams_propagate(workspace: Path) -> None:
    done = kodo_sandbox(workspace, "--", "bash", "-c", "cat; echo err >&2; exit 7", stdin="in\n")
    assert done.returncode == 7
    assert done.stdout == "in\n"
    assert done.stderr == "err\n"


def test_policy_applies(workspace: Path, base: Path) -> None:
    target = base / "outside"
    done = kodo_sandbox(workspace, "--", "bash", "-c", f"touch ok && touch {target}")
    assert done.returncode == 1
    assert (workspace / "ok").exists() and not target.exists()
    done = kodo_sandbox(workspace, "-s", "read-only", "--", "touch", "nope")
    assert done.returncode == 1 and not (workspace / "nope").exists()


def test_signal_and_usage(workspace: Path) -> None:
    assert kodo_sandbox(workspace, "--", "bash", "-c", "kill -TERM $$").returncode == 128 + 15
    assert kodo_sandbox(workspace).returncode == 2
    assert kodo_sandbox(workspace, "--", "no-such-cmd-xyz").returncode == 127


def test_kodo_installed_under_tmp_still_starts_its_sandbox(workspace: Path, tmp_path: Path) -> None:
    """A checkout or virtual environment under /tmp: the sandbox's own /tmp is private, so kodo
    binds its interpreter back in, and commands can use that interpreter too."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    here = [p for p in sys.path if p.endswith("site-packages")]
    src = str(Path(__file__).parents[2] / "src")
    python = str(venv / "bin" / "python")
    done = subprocess.run(
        [python, "-m", "kodo", "sandbox", "--", python, "-c", "import sys; print(sys.prefix)"],
        cwd=workspace,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join([src, *here])},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(venv)


def test_one_command_runs_in_bwraps_place_unless_the_supervisor_is_needed(
    workspace: Path, kodo_home: Path
) -> None:
    """One command gains nothing from a supervisor (it would pay its start): bwrap runs it
    directly, as the sandbox's first process after bwrap's own init. With resource limits the
    supervisor sets them, so the command runs under it, and the limit holds."""
    show = "cat /proc/$PPID/comm; ulimit -t"
    direct = kodo_sandbox(workspace, "--", "bash", "-c", show)
    assert direct.returncode == 0, direct.stderr
    assert direct.stdout.split() == ["bwrap", "unlimited"]

    (kodo_home / "config.toml").write_text("[limits]\ncpu_seconds = 50\n")
    supervised = kodo_sandbox(workspace, "--", "bash", "-c", show)
    assert supervised.returncode == 0, supervised.stderr
    parent, limit = supervised.stdout.split()
    assert parent != "bwrap" and limit == "50"
