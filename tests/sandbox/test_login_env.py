"""The login-environment snapshot on its own: how the person's environment and what their
profile exports are merged, and a profile that fails or hangs."""

from __future__ import annotations

import os
from pathlib import Path

from kodo.sandbox.login_env import LoginSnapshot, merge
from tests.processes import processes_matching


def test_the_persons_path_keeps_its_order_and_the_profile_only_appends() -> None:
    own = {"PATH": "/venv/bin:/usr/bin:/bin", "VIRTUAL_ENV": "/venv"}
    login = {"PATH": "/usr/local/bin:/usr/bin:/bin:/home/me/.nvm/bin:/usr/local/bin"}
    assert merge(own, login)["PATH"] == "/venv/bin:/usr/bin:/bin:/usr/local/bin:/home/me/.nvm/bin"


def test_the_persons_variables_win_and_the_shells_own_state_is_dropped() -> None:
    own = {"PATH": "/bin", "CONDA_DEFAULT_ENV": "myenv", "PROJECT": "from-direnv"}
    login = {"CONDA_DEFAULT_ENV": "base", "NVM_DIR": "/n", "SHLVL": "2", "_": "/usr/bin/env"}
    merged = merge(own, login)
    assert merged["CONDA_DEFAULT_ENV"] == "myenv" and merged["PROJECT"] == "from-direnv"
    assert merged["NVM_DIR"] == "/n"
    assert "SHLVL" not in merged and "_" not in merged


def _own(home: Path, profile: str) -> dict[str, str]:
    (home / ".bash_profile").write_text(profile)
    return {"HOME": str(home), "SHELL": "/bin/bash", "PATH": os.environ["PATH"], "KEEP": "me"}


def test_output_of_the_profile_is_no_variable(tmp_path: Path) -> None:
    profile = "echo 'Welcome!'; echo 'FAKE=1'; printf 'X=\\0'; export REAL=yes\n"
    snapshot = LoginSnapshot(True, _own(tmp_path, profile))
    env = snapshot.result()
    assert env.problem is None
    assert env.env["REAL"] == "yes" and env.env["KEEP"] == "me"
    assert "FAKE" not in env.env and "X" not in env.env


def test_a_failing_profile_leaves_kodos_own_environment(tmp_path: Path) -> None:
    own = _own(tmp_path, "export HALF=done\nexit 3\n")
    env = LoginSnapshot(True, own).result()
    assert env.env == own
    assert env.problem == "/bin/bash -l exited with status 3"


def test_a_hanging_profile_is_stopped(tmp_path: Path) -> None:
    marker = "31.4159"
    own = _own(tmp_path, f"sleep {marker}\n")
    env = LoginSnapshot(True, own, timeout_s=0.5).result()
    assert env.env == own and env.problem is not None and "longer than 0.5 s" in env.problem
    assert processes_matching(f"sleep {marker}") == []


def test_shell_login_off_reads_no_profile(tmp_path: Path) -> None:
    own = _own(tmp_path, f"touch {tmp_path}/ran\n")
    env = LoginSnapshot(False, own).result()
    assert env.env == own and env.problem is None
    assert not (tmp_path / "ran").exists()
