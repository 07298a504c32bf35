"""``kodo sandbox -- CMD`` keeps the sandbox it built and runs it again only while everything it
was built from reads the same: a kept plan must never let a command do what a freshly built
sandbox would stop."""

from __future__ import annotations

import marshal
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kodo.config import load_config
from kodo.sandbox import plans
from kodo.sandbox.host_reads import Recording, still_hold
from kodo.sandbox.mounts import sandbox_argv
from kodo.sandbox.once import in_place_plan

BUILDER = "kodo.sandbox.mounts"  # imported only when a plan is built


class Run:
    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        lines = done.stderr.splitlines()
        self.returncode = done.returncode
        self.stdout = done.stdout
        self.stderr = "".join(f"{line}\n" for line in lines if not line.startswith("import time:"))
        self.built = any(line.rstrip().endswith(BUILDER) for line in lines)


@pytest.fixture
def home(base: Path) -> Path:
    """The person's home, outside /tmp (the sandbox's own /tmp would hide it anyway)."""
    path = base / "home"
    path.mkdir()
    return path


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return {**os.environ, "HOME": str(home)}


@pytest.fixture
def kodo(workspace: Path, env: dict[str, str]) -> Callable[..., Run]:
    def run(*cmd: str, extra: dict[str, str] | None = None) -> Run:
        argv = [sys.executable, "-X", "importtime", "-m", "kodo", "sandbox", "--", *cmd]
        done = subprocess.run(
            argv,
            cwd=workspace,
            env={**env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=30,
        )
        return Run(done)

    return run


def plan_files(kodo_home: Path) -> list[Path]:
    folder = kodo_home / "cache" / "sandbox"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_second_run_reuses_the_plan_that_building_would_make(
    kodo: Callable[..., Run],
    workspace: Path,
    kodo_home: Path,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = kodo("sh", "-c", "echo $HOME; touch made")
    assert first.returncode == 0, first.stderr
    assert first.built and (workspace / "made").exists()
    [kept] = plan_files(kodo_home)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700

    second = kodo("sh", "-c", "echo $HOME; touch again")
    assert second.returncode == 0, second.stderr
    assert not second.built, "the kept plan was not used"
    assert second.stdout == first.stdout and (workspace / "again").exists()

    for name in set(os.environ) - set(env):  # the environment the runs had
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(workspace)
    _, _, _, _, bwrap, argv, sandbox_env = marshal.loads(kept.read_bytes())
    assert (bwrap, argv, sandbox_env) == in_place_plan(load_config(workspace), workspace)
    assert "_" not in sandbox_env


Change = Callable[[Path, Path, Path, list[socket.socket]], tuple[str, ...]]


def _make_git(workspace: Path, home: Path, kodo_home: Path, _: list) -> tuple[str, ...]:
    (workspace / ".git").mkdir()
    return ("sh", "-c", "echo x > .git/config")


def _make_secret(workspace: Path, home: Path, kodo_home: Path, _: list) -> tuple[str, ...]:
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text("aws_secret_access_key = s3cr3t\n")
    return ("cat", str(home / ".aws" / "credentials"))


def _make_read_only(workspace: Path, home: Path, kodo_home: Path, _: list) -> tuple[str, ...]:
    (kodo_home / "config.toml").write_text('sandbox_mode = "read-only"\n')
    return ("touch", "written")


def _bind_socket(
    workspace: Path, home: Path, kodo_home: Path, opened: list[socket.socket]
) -> tuple[str, ...]:
    path = home / "agent.sock"
    listener = socket.socket(socket.AF_UNIX)
    opened.append(listener)
    listener.bind(str(path))
    listener.listen()
    return ("test", "-S", str(path))


@pytest.mark.parametrize(
    "change",
    [_make_git, _make_secret, _make_read_only, _bind_socket],
    ids=["a .git made", "a hidden path made", "the config edited", "a socket bound"],
)
def test_a_plan_is_built_again_when_what_it_was_built_from_changed(
    kodo: Callable[..., Run],
    workspace: Path,
    home: Path,
    kodo_home: Path,
    change: Change,
) -> None:
    """Each change lets a command through a kept plan that a fresh build stops: the protected
    ``.git``, a credential masked, a read-only workspace, a host socket masked."""
    assert kodo("true").built
    assert not kodo("true").built
    opened: list[socket.socket] = []
    try:
        cmd = change(workspace, home, kodo_home, opened)
        after = kodo(*cmd)
        assert after.built, "a plan built before the change was used"
        assert after.returncode != 0, after.stdout + after.stderr
        assert not (workspace / "written").exists()
        assert not kodo(*cmd).built  # and the new plan is kept in turn
    finally:
        for listener in opened:
            listener.close()


def test_another_environment_builds_its_own_plan(kodo: Callable[..., Run], kodo_home: Path) -> None:
    assert kodo("true").built
    changed = kodo("printenv", "MARKER", extra={"MARKER": "seen"})
    assert changed.built and changed.stdout == "seen\n"
    assert not kodo("printenv", "MARKER", extra={"MARKER": "seen"}).built
    assert not kodo("true").built
    assert len(plan_files(kodo_home)) == 2
    assert not kodo("true", extra={"_": "/some/other/program"}).built


@pytest.mark.parametrize("tamper", ["writable by others", "garbled", "a link"])
def test_a_plan_file_kodo_did_not_write_is_ignored(
    kodo: Callable[..., Run], kodo_home: Path, base: Path, tamper: str
) -> None:
    assert kodo("true").built
    [kept] = plan_files(kodo_home)
    if tamper == "writable by others":
        kept.chmod(0o622)
    elif tamper == "garbled":
        kept.write_bytes(b"\x00not a plan")
    else:
        copy = base / "plan"
        copy.write_bytes(kept.read_bytes())
        copy.chmod(0o600)
        kept.unlink()
        kept.symlink_to(copy)
    again = kodo("sh", "-c", "echo fine")
    assert again.built and again.returncode == 0 and again.stdout == "fine\n"


def test_commands_cannot_read_or_plant_plans(kodo: Callable[..., Run], kodo_home: Path) -> None:
    assert kodo("true").built
    folder = kodo_home / "cache" / "sandbox"
    look = kodo("sh", "-c", f"ls -A {folder}; touch {folder}/planted")
    assert not look.built
    assert look.returncode != 0 and look.stdout == ""
    assert [p.name for p in plan_files(kodo_home)] == [plan_files(kodo_home)[0].name]
    assert not (folder / "planted").exists()


def test_a_missing_command_still_gets_kodos_message(kodo: Callable[..., Run]) -> None:
    assert kodo("true").built
    missing = kodo("no-such-command-xyz")
    assert missing.returncode == 127
    assert "no-such-command-xyz: command not found" in missing.stderr


# What a recording hands the code it watches, and what it keeps.


def test_a_recording_hands_over_only_what_it_keeps(tmp_path: Path) -> None:
    (tmp_path / "b").write_text("bee")
    (tmp_path / "a").mkdir()
    with Recording() as reads:
        folder = os.stat(tmp_path)
        names = os.listdir(tmp_path)
        text = (tmp_path / "b").read_text()
        raw = Path(tmp_path / "b").read_bytes()
        with pytest.raises(FileNotFoundError):
            os.lstat(tmp_path / "missing")
        with pytest.raises(FileNotFoundError):
            open(tmp_path / "missing")  # noqa: SIM115
    assert reads.complete
    assert folder.st_mtime_ns == 0 and folder.st_size == 0 and folder.st_nlink == 0
    assert stat.S_ISDIR(folder.st_mode) and folder.st_ino == tmp_path.stat().st_ino
    assert names == ["a", "b"] and text == "bee" and raw == b"bee"
    assert all("bee" not in repr(fact) for fact in reads.facts), "a file's content was kept"
    assert os.stat is not reads._stat and open is not reads._open  # put back
    assert still_hold(reads.facts)

    (tmp_path / "b").write_text("bea")
    assert not still_hold(reads.facts)
    (tmp_path / "b").write_text("bee")
    assert still_hold(reads.facts)
    (tmp_path / "missing").touch()
    assert not still_hold(reads.facts)


def test_folder_times_do_not_count_but_entries_do(tmp_path: Path) -> None:
    with Recording() as reads:
        os.stat(tmp_path)
        os.listdir(tmp_path)
    (tmp_path / "new").touch()
    os.utime(tmp_path, ns=(1, 1))
    facts = reads.facts
    assert still_hold(facts[:1]) and not still_hold(facts)


def test_unix_sockets_are_kept_by_path_alone() -> None:
    with Recording() as reads, open("/proc/net/unix") as f:
        table = f.read().splitlines()
    assert table[0].startswith("Num")
    assert all(line.startswith("0: 0 0 0 0 0 0 ") for line in table[1:])
    assert still_hold(reads.facts)
    with socket.socket(socket.AF_UNIX) as anonymous:  # no path: the kept table is the same
        anonymous.bind("")
        assert still_hold(reads.facts)


def test_reads_a_recording_cannot_keep_leave_it_incomplete(tmp_path: Path) -> None:
    for read_the_host in (
        lambda: list(os.scandir(tmp_path)),
        lambda: os.close(os.open(tmp_path, os.O_RDONLY)),
        lambda: open(tmp_path / "w", "w").close(),
        lambda: os.stat(0),
    ):
        with Recording() as reads:
            read_the_host()
        assert not reads.complete
        plans.remember(reads, None, ("/usr/bin/bwrap", ["bwrap", "--"], {}))
        assert not Path(plans.plans_dir()).exists()


def test_building_under_a_recording_builds_the_same_sandbox(workspace: Path) -> None:
    (workspace / ".git").mkdir()
    config = load_config(workspace)
    with Recording() as reads:
        watched = sandbox_argv("/usr/bin/bwrap", config, workspace)
    assert reads.complete
    assert watched == sandbox_argv("/usr/bin/bwrap", config, workspace)


def test_plans_live_where_every_sandbox_hides_them(kodo_home: Path) -> None:
    from kodo.config import Config
    from kodo.sandbox.mounts import hidden_entries

    assert Path(plans.plans_dir()).is_relative_to(kodo_home)
    assert str(kodo_home) in hidden_entries(Config())


def test_kodos_own_code_changed_means_building_again(tmp_path: Path) -> None:
    source = tmp_path / "mounts.py"
    source.write_text("A = 1\n")
    reads = Recording()
    reads.note_versions([str(source)])
    assert still_hold(reads.facts)
    source.write_text("A = 2\n")  # same size, a later write
    os.utime(source, ns=(1, 10**18))
    assert not still_hold(reads.facts)


# Where a sandboxed command could try to plant a plan for a later run to execute.


def test_a_first_run_in_the_home_folder_cannot_plant_a_plan(
    base: Path, home: Path, env: dict[str, str]
) -> None:
    """With no kodo home yet and the home folder as the workspace, building makes kodo's home
    before bwrap starts, so the command already finds it masked."""
    env = {k: v for k, v in env.items() if k != "KODO_HOME"}
    plant = "mkdir -p ~/.kodo/cache/sandbox && echo planted > ~/.kodo/cache/sandbox/x"
    argv = [sys.executable, "-m", "kodo", "sandbox", "--", "sh", "-c", plant]
    done = subprocess.run(argv, cwd=home, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert not (home / ".kodo" / "cache" / "sandbox" / "x").exists()
    assert stat.S_IMODE((home / ".kodo").stat().st_mode) == 0o700


def test_kodo_home_deep_in_the_workspace_cannot_be_moved_aside(
    kodo: Callable[..., Run], workspace: Path, env: dict[str, str]
) -> None:
    """Moving a folder above kodo's home and making a new one in its place would hand kodo a
    config (and plans) the command wrote: the folders on the way are mount points."""
    nested = workspace / "sub" / "deeper" / "kodo-home"
    env["KODO_HOME"] = str(nested)
    moved = kodo("sh", "-c", "mv sub moved || mv sub/deeper sub/moved")
    assert moved.returncode != 0
    assert nested.is_dir()
    assert kodo("sh", "-c", "mkdir sub/other && touch sub/file").returncode == 0


def test_plans_are_not_kept_through_a_link(
    kodo: Callable[..., Run], kodo_home: Path, base: Path
) -> None:
    """A plans folder linked somewhere a sandbox may write would let a command plant one."""
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    (kodo_home / "cache").symlink_to(elsewhere)
    assert kodo("true").built
    assert kodo("true").built
    assert list(elsewhere.iterdir()) == []


def test_another_kodo_keeps_its_own_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kodo that builds a plan is checked by its files; one elsewhere builds its own."""
    here = plans._key()
    monkeypatch.setattr(plans, "__file__", "/elsewhere/kodo/sandbox/plans.py")
    assert plans._key() != here


def test_a_path_under_another_users_home_is_not_kept(
    kodo: Callable[..., Run], kodo_home: Path
) -> None:
    """``~user`` comes from the password database, which a recording cannot keep."""
    (kodo_home / "config.toml").write_text('hidden_paths = ["~nobody/secret"]\n')
    assert kodo("true").built
    assert kodo("true").built
    assert plan_files(kodo_home) == []


def test_the_command_gets_default_signals_and_closed_output_is_no_error(
    kodo: Callable[..., Run], workspace: Path, env: dict[str, str]
) -> None:
    for _ in range(2):  # built, then kept
        piped = kodo("sh", "-c", "yes | head -1")
        assert piped.stdout == "y\n" and piped.stderr == "", piped.stderr
    argv = [sys.executable, "-m", "kodo", "sandbox", "--", "true"]
    closed = subprocess.run(argv, cwd=workspace, env=env, stdout=subprocess.DEVNULL, timeout=30)
    assert closed.returncode == 0
    shut = subprocess.run(["sh", "-c", '"$@" >&-', "sh", *argv], cwd=workspace, env=env, timeout=30)
    assert shut.returncode == 0


@pytest.mark.parametrize("value", [".kodo-home", "~/kodo-home"])
def test_a_relative_or_tilde_kodo_home_is_one_folder_masked_everywhere(
    kodo: Callable[..., Run], workspace: Path, home: Path, env: dict[str, str], value: str
) -> None:
    """Taken two ways (masked under one path, read from another), a relative ``KODO_HOME``
    would let a command write the config and plans kodo reads next."""
    env["KODO_HOME"] = value
    real = workspace / ".kodo-home" if value.startswith(".") else home / "kodo-home"
    plant = f"mkdir -p {value}/cache/sandbox && echo planted > {value}/config.toml"
    assert kodo("sh", "-c", plant).returncode != 0
    assert kodo("sh", "-c", plant).returncode != 0
    assert not (real / "config.toml").exists() and not (workspace / "~").exists()
    assert len(list((real / "cache" / "sandbox").iterdir())) == 1


def test_kodo_home_behind_a_link_commands_may_replace_is_refused(
    kodo: Callable[..., Run], workspace: Path, base: Path, env: dict[str, str]
) -> None:
    (base / "store" / "kodo").mkdir(parents=True)
    (workspace / "cfg").symlink_to(base / "store")
    env["KODO_HOME"] = str(workspace / "cfg" / "kodo")
    refused = kodo("sh", "-c", "echo RAN")
    assert refused.returncode == 1 and "RAN" not in refused.stdout
    assert f"reached through the link {workspace / 'cfg'}" in refused.stderr
    assert f"KODO_HOME to the real folder, {base / 'store' / 'kodo'}" in refused.stderr


def test_a_config_linked_into_the_workspace_is_masked(
    kodo: Callable[..., Run], workspace: Path, kodo_home: Path
) -> None:
    """A config kept with the person's dotfiles, and the dotfiles as the workspace."""
    kept = workspace / "kodo-config.toml"
    kept.write_text("shell_timeout_ms = 60000\n")
    (kodo_home / "config.toml").symlink_to(kept)
    for _ in range(2):  # built, then kept
        tried = kodo(
            "sh", "-c", f"cat {kept}; echo 'sandbox_mode = \"danger-full-access\"' >> {kept}"
        )
        assert tried.returncode != 0 and "shell_timeout_ms" not in tried.stdout
    assert kept.read_text() == "shell_timeout_ms = 60000\n"


def test_the_default_kodo_home_stays_hidden_when_kodo_home_moved(
    kodo: Callable[..., Run], home: Path
) -> None:
    """``KODO_HOME`` set elsewhere: the old ``~/.kodo`` may still hold a config with a key."""
    (home / ".kodo").mkdir()
    (home / ".kodo" / "config.toml").write_text('api_key = "sk-old"\n')
    for _ in range(2):  # built, then kept
        looked = kodo("cat", str(home / ".kodo" / "config.toml"))
        assert looked.returncode != 0 and "sk-old" not in looked.stdout


def test_damaged_facts_do_not_hold() -> None:
    assert not still_hold([("stat", ("/",), ())])  # the wrong number of arguments
    assert not still_hold([("stat",)])  # not a fact
    assert not still_hold([("eval", ("1",), 1)])  # not a question this module asks
    assert still_hold([])


def test_a_huge_git_file_is_read_only_as_far_as_its_first_line(tmp_path: Path) -> None:
    """A workspace may hold a ``.git`` file of gigabytes (a sparse one costs nothing to make):
    building reads its head, and a recording keeps no file that large."""
    import resource

    from kodo.config import Config
    from kodo.sandbox.mounts import protected_paths

    ws = tmp_path / "ws"
    (ws / "meta").mkdir(parents=True)
    with open(ws / ".git", "wb") as f:
        f.write(b"gitdir: meta\n")
        f.truncate(4 << 30)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Recording() as reads:
        protected = protected_paths(Config(), ws)
    grew_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert protected == [ws / ".git", ws / "meta"]
    assert grew_kib < 64 * 1024, f"peak memory grew by {grew_kib} KiB"
    assert not reads.complete
