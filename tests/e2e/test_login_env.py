"""Commands run in the person's login environment, captured once per session: the real program,
a real virtualenv, a login profile that resets PATH the way Debian's /etc/profile does, and a
scripted model asking for ``python`` as a string, as an argv list and in the background."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import exec_args, kodo_env, run_kodo
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply

PREFIX = "import sys; print('prefix=' + sys.prefix)"
SHOW = "echo from=$FROM_PROFILE conda=$CONDA_DEFAULT_ENV direnv=$PROJECT_SETTING"
TOKEN = "ghp_" + "a1B2" * 9
# What a Debian login shell does to PATH, plus what profiles typically add, and a secret.
PROFILE = f"""PATH=/usr/local/bin:/usr/bin:/bin
export PATH
export FROM_PROFILE=profile-ran
export CONDA_DEFAULT_ENV=base
export GITHUB_TOKEN={TOKEN}
n=$(( $(cat "$HOME/runs" 2>/dev/null || echo 0) + 1 ))
echo $n > "$HOME/runs"
export LOGIN_RUN=$n
"""


@pytest.fixture(scope="module")
def venv() -> Iterator[Path]:
    """Not under /tmp: the sandbox has a /tmp of its own, and the venv must be seen in it."""
    root = Path(tempfile.mkdtemp(prefix="kodo-venv-", dir="/var/tmp"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def home() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="kodo-home-", dir="/var/tmp"))
    (path / ".bash_profile").write_text(PROFILE)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def activated(venv: Path, home: Path) -> dict[str, str]:
    """A person's environment in an activated venv, a conda env and a direnv'd project."""
    return kodo_env(
        HOME=str(home),
        SHELL="/bin/bash",
        VIRTUAL_ENV=str(venv),
        PATH=f"{venv}/bin:{os.environ['PATH']}",
        CONDA_DEFAULT_ENV="myenv",
        PROJECT_SETTING="from-direnv",
    )


def outputs(run) -> list[str]:
    return [r["output"] for r in run.tool_results]


def test_python_is_the_venvs_in_string_argv_and_background_commands(
    tmp_path: Path, venv: Path, home: Path
) -> None:
    wait = "for i in $(seq 100); do [ -s bg.txt ] && break; sleep 0.05; done; cat bg.txt"
    script = [
        Reply(tool_calls=[Call("shell", {"command": f'python -c "{PREFIX}"; {SHOW}'})]),
        Reply(tool_calls=[Call("shell", {"command": ["python", "-c", PREFIX]})]),
        Reply(
            tool_calls=[
                Call("shell", {"command": f'python -c "{PREFIX}" > bg.txt', "background": True})
            ]
        ),
        Reply(tool_calls=[Call("shell", {"command": wait})]),
        Reply(tool_calls=[Call("shell", {"command": "echo token=${GITHUB_TOKEN:-none}"})]),
        Reply(text="Done: checked the interpreter."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(
            exec_args(srv.base_url, "which python?"), cwd=tmp_path, env=activated(venv, home)
        )
    assert run.returncode == 0, run.stderr
    string, argv, _, background, token = outputs(run)
    for output in (string, argv, background):
        assert f"prefix={venv}\n" in output
    assert "from=profile-ran conda=myenv direnv=from-direnv" in string
    assert "token=none" in token and TOKEN not in run.stdout
    assert (home / "runs").read_text() == "1\n"  # the profile ran once for five commands


def test_shell_login_false_reads_no_profile(tmp_path: Path, venv: Path, home: Path) -> None:
    script = [
        Reply(tool_calls=[Call("shell", {"command": f'python -c "{PREFIX}"; {SHOW}'})]),
        Reply(text="Done."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        args = exec_args(srv.base_url, "-c", "shell_login=false", "which python?")
        run = run_kodo(args, cwd=tmp_path, env=activated(venv, home))
    assert run.returncode == 0, run.stderr
    (output,) = outputs(run)
    assert f"prefix={venv}\n" in output and "from= conda=myenv" in output
    assert not (home / "runs").exists()


def test_new_captures_the_login_environment_again(tmp_path: Path, venv: Path, home: Path) -> None:
    run_again = Call("shell", {"command": "echo run=$LOGIN_RUN"})
    script = [
        Reply(tool_calls=[run_again]),
        Reply(tool_calls=[run_again]),
        Reply(text="first session done"),
        Reply(tool_calls=[run_again]),
        Reply(text="second session done"),
    ]
    with ScriptedOpenAIServer(script) as srv:
        args = ["--provider", "openai-chat", "--base-url", srv.base_url, "-m", "scripted"]
        stdin = "first\n/new\nsecond\n/quit\n"
        run = run_kodo(args, cwd=tmp_path, env=activated(venv, home), stdin=stdin)
        tool_outputs = [m["content"] for m in srv.requests[-1]["messages"] if m["role"] == "tool"]
        first = [m["content"] for m in srv.requests[2]["messages"] if m["role"] == "tool"]
    assert run.returncode == 0, run.stderr
    assert ["run=1" in out for out in first] == [True, True]  # once per session
    assert ["run=2" in out for out in tool_outputs] == [True]
    assert (home / "runs").read_text() == "2\n"


def test_a_profile_still_running_at_the_end_is_not_killed(tmp_path: Path, home: Path) -> None:
    """Killed halfway, a profile can leave a lock behind (pyenv's rehash lock makes every later
    login shell wait a minute); one no command waited for is left to finish."""
    wait_for_go = f"for i in $(seq 200); do [ -e {home}/go ] && break; sleep 0.05; done"
    (home / ".bash_profile").write_text(f"{wait_for_go}\ntouch {home}/finished\n")
    with ScriptedOpenAIServer([Reply(text="Hello: nothing to run.")]) as srv:
        env = kodo_env(HOME=str(home), SHELL="/bin/bash")
        run = run_kodo(exec_args(srv.base_url, "say hello"), cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    (home / "go").touch()  # kodo is gone; the profile it started goes on
    deadline = time.monotonic() + 10
    while not (home / "finished").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (home / "finished").exists()


def test_a_venv_under_tmp_is_seen_in_the_sandbox(tmp_path: Path, home: Path) -> None:
    """The sandbox's /tmp is private; the venv the person activated there is bound back
    read-only, so the model's ``python`` is still theirs (in a session and one-shot)."""
    under_tmp = tmp_path / "venv"  # pytest's tmp_path is under /tmp
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(under_tmp)], check=True)
    work = tmp_path / "work"  # the workspace, which is writable, holds not the venv
    work.mkdir()
    env = activated(under_tmp, home)
    script = [
        Reply(tool_calls=[Call("shell", {"command": ["python", "-c", PREFIX]})]),
        Reply(text="Done."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "which python?"), cwd=work, env=env)
    assert run.returncode == 0, run.stderr
    assert f"prefix={under_tmp}\n" in outputs(run)[0]
    once = run_kodo(["sandbox", "--", "python", "-c", PREFIX], cwd=work, env=env)
    assert once.returncode == 0 and f"prefix={under_tmp}\n" in once.stdout, once.stderr
    write = run_kodo(["sandbox", "--", "touch", f"{under_tmp}/planted"], cwd=work, env=env)
    assert write.returncode != 0 and not (under_tmp / "planted").exists()  # read-only
    # an environment variable naming /tmp itself (a direnv'd project) binds nothing back
    (tmp_path / "host-only").write_text("secret")
    aimed = {**env, "VIRTUAL_ENV": "/tmp"}
    peek = run_kodo(["sandbox", "--", "cat", str(tmp_path / "host-only")], cwd=work, env=aimed)
    assert peek.returncode != 0 and "secret" not in peek.stdout
