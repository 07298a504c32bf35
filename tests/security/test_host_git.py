"""Git that kodo runs on the host (/diff and /undo's checkpoints, the MCP server's diff, batch
patches and workspaces) obeys nothing the workspace configures.

Each payload is planted the way a hostile repository or a sandboxed command would plant it, as
a script that leaves a marker file when run. A positive control runs the same plant under plain
git and sees the marker appear, so no test passes because its probe is broken; then kodo's paths
run on the same plant, still do their job, and leave no marker.
"""

from __future__ import annotations

import os
import pty
import shlex
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kodo.batch import workspace as batch_workspace
from kodo.mcp.workspace_diff import WorkspaceSnapshot
from kodo.ui.checkpoints import checkpoints_for
from kodo.workspace.copies import FileCopies
from kodo.workspace.git import run_git
from kodo.workspace.snapshot import snapshots_for
from kodo.workspace.trees import GitTrees

# --- planting and plain git ------------------------------------------------------------------


def plain_env(**extra: str) -> dict[str, str]:
    """git as a person runs it, minus anything of the host that could mask a repository's
    own settings (their global config, an editor set in the environment)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GIT_") and k not in ("EDITOR", "VISUAL")
    }
    return env | {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"} | extra


def plain_git(repo: Path, *args: str, env: dict[str, str] | None = None, stdin: str = "") -> None:
    subprocess.run(
        ["git", *args],
        cwd=repo,
        env=env or plain_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


def on_a_terminal(repo: Path, *args: str, env: dict[str, str] | None = None) -> None:
    """Plain git with a terminal as its stdout, so it starts a pager."""
    leader, follower = pty.openpty()
    try:
        subprocess.run(
            ["git", *args],
            cwd=repo,
            env=env or plain_env(),
            stdin=follower,
            stdout=follower,
            stderr=follower,
            timeout=30,
        )
    finally:
        os.close(follower)
        os.close(leader)


def payload(folder: Path, markers: Path, name: str, then: str = "") -> str:
    """An executable in ``folder`` that leaves ``markers/name`` when run, then runs ``then``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(f"#!/bin/sh\ntouch {shlex.quote(str(markers / name))}\n{then}\n")
    script.chmod(0o755)
    return str(script)


def config(repo: Path, key: str, value: str) -> None:
    subprocess.run(["git", "config", key, value], cwd=repo, env=plain_env(), check=True)


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "t@t"],
        ["config", "user.name", "t"],
    ):
        subprocess.run(["git", *args], cwd=path, env=plain_env(), check=True)
    (path / "a.txt").write_text("one\n")
    (path / "b.txt").write_text("bee\n")
    subprocess.run(["git", "add", "-A"], cwd=path, env=plain_env(), check=True)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=path, env=plain_env(), check=True)
    return path


def attributes(repo: Path, line: str) -> None:
    with (repo / ".gitattributes").open("a") as file:
        file.write(line + "\n")


def touch_a(repo: Path) -> None:
    (repo / "a.txt").write_text("changed\n")


def touch_b(repo: Path) -> None:
    (repo / "b.txt").write_text("changed\n")


@dataclass(frozen=True)
class Vector:
    plant: Callable[[Path, Path], None]  # (repository, markers)
    trigger: Callable[[Path], None]  # what sets it off under plain git


def _hook(name: str, folder: str = ".git/hooks") -> Callable[[Path, Path], None]:
    def plant(repo: Path, markers: Path) -> None:
        hooks = repo / folder
        payload(hooks, markers, name)
        if folder != ".git/hooks":
            config(repo, "core.hooksPath", str(hooks))

    return plant


def _config_payload(
    key: str, then: str = "", attr: str | None = None
) -> Callable[[Path, Path], None]:
    def plant(repo: Path, markers: Path) -> None:
        config(repo, key, payload(repo / ".git" / "payloads", markers, key, then))
        if attr is not None:
            attributes(repo, attr)

    return plant


def _include(key: str, name: str) -> Callable[[Path, Path], None]:
    """``key`` names a file that sets core.fsmonitor."""

    def plant(repo: Path, markers: Path) -> None:
        script = payload(repo / ".git" / "payloads", markers, name, "exit 1")
        included = repo / ".git" / f"{name}.inc"
        included.write_text(f"[core]\n\tfsmonitor = {script}\n")
        config(repo, key, str(included))

    return plant


def _ext_protocol(repo: Path, markers: Path) -> None:
    marker = markers / "ext-protocol"
    config(repo, "protocol.ext.allow", "always")
    config(repo, "remote.origin.url", f"ext::sh -c touch% {marker}")


def _add(change: Callable[[Path], None]) -> Callable[[Path], None]:
    def trigger(repo: Path) -> None:
        change(repo)
        plain_git(repo, "add", "-A")

    return trigger


def _diff(change: Callable[[Path], None]) -> Callable[[Path], None]:
    def trigger(repo: Path) -> None:
        change(repo)
        plain_git(repo, "diff")

    return trigger


def _checkout_a(repo: Path) -> None:
    (repo / "a.txt").unlink()
    plain_git(repo, "checkout", "--", "a.txt")


VECTORS: dict[str, Vector] = {
    "core.fsmonitor": Vector(
        _config_payload("core.fsmonitor", "exit 1"), lambda r: plain_git(r, "status")
    ),
    "post-index-change": Vector(_hook("post-index-change"), _add(touch_a)),
    "post-checkout": Vector(_hook("post-checkout"), _checkout_a),
    "pre-commit": Vector(
        _hook("pre-commit"), lambda r: plain_git(r, "commit", "--allow-empty", "-qm", "x")
    ),
    "core.hooksPath": Vector(_hook("post-index-change", "tools/hooks"), _add(touch_a)),
    "filter.clean": Vector(
        _config_payload("filter.f1.clean", "cat", "a.txt filter=f1"), _add(touch_a)
    ),
    "filter.smudge": Vector(
        _config_payload("filter.f1.smudge", "cat", "a.txt filter=f1"), _checkout_a
    ),
    "filter.process": Vector(
        _config_payload("filter.f2.process", "exit 1", "b.txt filter=f2"), _add(touch_b)
    ),
    "diff.textconv": Vector(
        _config_payload("diff.d1.textconv", 'cat "$1"', "a.txt diff=d1"), _diff(touch_a)
    ),
    "diff.command": Vector(
        _config_payload("diff.d2.command", "exit 0", "b.txt diff=d2"), _diff(touch_b)
    ),
    "diff.external": Vector(_config_payload("diff.external", "exit 0"), _diff(touch_a)),
    "core.pager": Vector(
        _config_payload("core.pager", "cat"), lambda r: on_a_terminal(r, "log", "-1")
    ),
    "pager.diff": Vector(
        _config_payload("pager.diff", "cat"), lambda r: (touch_a(r), on_a_terminal(r, "diff"))
    ),
    "include.path": Vector(_include("include.path", "include"), lambda r: plain_git(r, "status")),
    "includeIf": Vector(
        _include("includeIf.gitdir:/.path", "includeIf"), lambda r: plain_git(r, "status")
    ),
    "core.editor": Vector(
        _config_payload("core.editor", "exit 1"), lambda r: plain_git(r, "commit", "--allow-empty")
    ),
    "core.sshCommand": Vector(
        _config_payload("core.sshCommand", "exit 1"),
        lambda r: plain_git(r, "ls-remote", "ssh://example.invalid/x"),
    ),
    "core.gitProxy": Vector(
        _config_payload("core.gitProxy", "exit 1"),
        lambda r: plain_git(r, "ls-remote", "git://example.invalid/x"),
    ),
    "credential.helper": Vector(
        _config_payload("credential.helper", "exit 0"),
        lambda r: plain_git(
            r, "credential", "fill", stdin="protocol=https\nhost=example.invalid\n\n"
        ),
    ),
    "remote.uploadpack": Vector(
        lambda r, m: (
            config(r, "remote.origin.url", str(r)),
            _config_payload("remote.origin.uploadpack", "exit 1")(r, m),
        ),
        lambda r: plain_git(r, "ls-remote", "origin"),
    ),
    "protocol.ext": Vector(_ext_protocol, lambda r: plain_git(r, "ls-remote", "origin")),
}


def fired(markers: Path) -> list[str]:
    return sorted(os.listdir(markers))


@pytest.fixture
def markers(tmp_path: Path) -> Path:
    path = tmp_path / "markers"
    path.mkdir()
    return path


def hostile_repo(path: Path, markers: Path) -> Path:
    """A repository with every vector planted at once."""
    repo = make_repo(path)
    for vector in VECTORS.values():
        vector.plant(repo, markers)
    return repo


# --- what kodo runs -------------------------------------------------------------------------


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def exercise(repo: Path) -> None:
    """Every way kodo runs git on a workspace, each checked to still do its job: /diff and /undo's
    checkpoints, the MCP server's diff and a batch task's patch. Expects a.txt and b.txt."""
    dot_git = repo / ".git"
    before = files_under(dot_git) if dot_git.is_dir() else None
    mcp = WorkspaceSnapshot(repo)
    baseline = batch_workspace.Baseline(repo)
    cps = checkpoints_for(repo, exclude=[])
    assert isinstance(cps.snapshots, GitTrees)
    cps.take()

    (repo / "a.txt").write_text("two\n")
    (repo / "b.txt").unlink()
    (repo / "new.txt").write_text("new\n")

    diff = cps.diff()
    assert "-one\n+two" in diff and "-bee" in diff and "+new" in diff
    assert mcp.diff() == diff
    patch = baseline.patch()
    baseline.close()
    assert b"-one\n+two" in patch and b"deleted file mode" in patch and b"+new" in patch
    assert sorted(cps.undo() or []) == ["a.txt", "b.txt", "new.txt"]
    assert (repo / "a.txt").read_text() == "one\n" and (repo / "b.txt").read_text() == "bee\n"
    assert not (repo / "new.txt").exists()
    cps.close()
    if before is not None:
        assert files_under(dot_git) == before  # nothing written into the repository


# --- the repository's own configuration, hooks and attributes ------------------------------


@pytest.mark.parametrize("name", list(VECTORS))
def test_payload_fires_under_plain_git(tmp_path: Path, markers: Path, name: str) -> None:
    repo = make_repo(tmp_path / "repo")
    VECTORS[name].plant(repo, markers)
    VECTORS[name].trigger(repo)
    assert fired(markers), f"the {name} probe is broken: plain git did not run it"


def test_kodo_runs_none_of_the_repositorys_payloads(tmp_path: Path, markers: Path) -> None:
    repo = hostile_repo(tmp_path / "repo", markers)
    exercise(repo)
    assert fired(markers) == []


def hostile_env(name: str, tmp_path: Path, markers: Path) -> dict[str, str]:
    """The host variable ``name`` set the way that makes git run a payload."""
    host = tmp_path / "host"
    script = payload(host, markers, name, "cat" if name == "GIT_PAGER" else "exit 1")
    if name == "GIT_DIR":
        decoy = make_repo(tmp_path / "decoy")
        config(decoy, "core.fsmonitor", script)
        return {"GIT_DIR": str(decoy / ".git")}
    if name == "GIT_CONFIG_GLOBAL":
        (host / "gitconfig").write_text(f"[core]\n\tfsmonitor = {script}\n")
        return {"GIT_CONFIG_GLOBAL": str(host / "gitconfig")}
    if name == "GIT_CONFIG_PARAMETERS":
        return {name: f"'core.fsmonitor'='{script}'"}
    if name == "GIT_CONFIG_COUNT":
        return {name: "1", "GIT_CONFIG_KEY_0": "core.fsmonitor", "GIT_CONFIG_VALUE_0": script}
    return {name: script}


def _diff_a_and_revert(repo: Path, env: dict[str, str]) -> None:
    touch_a(repo)
    plain_git(repo, "diff", env=env)
    (repo / "a.txt").write_text("one\n")


ENV_TRIGGERS: dict[str, Callable[[Path, dict[str, str]], None]] = {
    "GIT_DIR": lambda repo, env: plain_git(repo, "status", env=env),
    "GIT_CONFIG_GLOBAL": lambda repo, env: plain_git(repo, "status", env=env),
    "GIT_CONFIG_PARAMETERS": lambda repo, env: plain_git(repo, "status", env=env),
    "GIT_CONFIG_COUNT": lambda repo, env: plain_git(repo, "status", env=env),
    "GIT_EXTERNAL_DIFF": _diff_a_and_revert,
    "GIT_PAGER": lambda repo, env: on_a_terminal(repo, "log", "-1", env=env),
}


@pytest.mark.parametrize("name", list(ENV_TRIGGERS))
def test_host_git_variables_cannot_redirect_git(
    tmp_path: Path, markers: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    repo = make_repo(tmp_path / "repo")
    env = hostile_env(name, tmp_path, markers)
    ENV_TRIGGERS[name](repo, plain_env(**env))
    assert fired(markers) == [name], f"the {name} probe is broken: plain git did not run it"
    (markers / name).unlink()

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    exercise(repo)
    assert fired(markers) == []


def test_dot_git_file_pointing_outside_the_workspace(tmp_path: Path, markers: Path) -> None:
    """A ``.git`` file may point anywhere (worktrees and submodules do); kodo reads only the
    patterns in its info/exclude and never lets git open it."""
    elsewhere = hostile_repo(tmp_path / "elsewhere", markers)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".git").write_text(f"gitdir: {os.path.relpath(elsewhere / '.git', ws)}\n")
    (ws / "a.txt").write_text("one\n")
    (ws / "b.txt").write_text("bee\n")
    plain_git(ws, "status")
    assert fired(markers), "the probe is broken: plain git did not follow .git"
    shutil.rmtree(markers)
    markers.mkdir()
    kept = files_under(elsewhere / ".git")

    exercise(ws)
    assert fired(markers) == []
    assert files_under(elsewhere / ".git") == kept


def test_nested_repository_is_not_obeyed_either(tmp_path: Path, markers: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    nested = hostile_repo(repo / "vendor", markers)
    plain_git(nested, "status")
    assert fired(markers), "the probe is broken"
    shutil.rmtree(markers)
    markers.mkdir()

    exercise(repo)
    assert fired(markers) == []


def test_snapshots_ignore_gitattributes_and_keep_bytes(tmp_path: Path) -> None:
    """Worktree attributes could rewrite content (eol, encodings); the private repository's
    info/attributes outranks them, so /undo puts back exactly the bytes that were there."""
    repo = make_repo(tmp_path / "repo")
    (repo / "sub").mkdir()
    (repo / "sub" / ".gitattributes").write_text("* text eol=crlf\n")
    (repo / "sub" / "lf.txt").write_bytes(b"l1\nl2\n")
    (repo / "sub" / "crlf.txt").write_bytes(b"c1\r\nc2\r\n")
    plain_git(repo, "add", "-A")
    blob = subprocess.run(
        ["git", "cat-file", "blob", ":sub/crlf.txt"],
        cwd=repo,
        env=plain_env(),
        capture_output=True,
        check=True,
    ).stdout
    assert blob != b"c1\r\nc2\r\n", "the probe is broken: plain git kept the bytes"

    cps = checkpoints_for(repo, exclude=[])
    cps.take()
    (repo / "sub" / "lf.txt").write_bytes(b"x\n")
    (repo / "sub" / "crlf.txt").write_bytes(b"y\n")
    assert sorted(cps.undo() or []) == ["sub/crlf.txt", "sub/lf.txt"]
    assert (repo / "sub" / "lf.txt").read_bytes() == b"l1\nl2\n"
    assert (repo / "sub" / "crlf.txt").read_bytes() == b"c1\r\nc2\r\n"
    cps.close()


def test_info_exclude_written_later_hides_nothing(tmp_path: Path) -> None:
    """Patterns already in info/exclude are the person's and are honoured; ones written there
    during the session could hide a change from /diff and /undo, and are not."""
    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("local.txt\n")
    cps = checkpoints_for(repo, exclude=[])
    cps.take()
    (repo / "local.txt").write_text("mine\n")
    (repo / ".git" / "info" / "exclude").write_text("local.txt\nhidden.txt\n")
    (repo / "hidden.txt").write_text("sneaky\n")
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, env=plain_env(), capture_output=True, text=True
    ).stdout
    assert "hidden.txt" not in status, "the probe is broken: plain git still shows the file"

    diff = cps.diff()
    assert "+sneaky" in diff and "local.txt" not in diff
    assert cps.undo() == ["hidden.txt"] and not (repo / "hidden.txt").exists()
    assert (repo / "local.txt").exists()
    cps.close()


def test_linked_worktree_reads_its_repositorys_exclude(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("local.txt\n")
    subprocess.run(
        ["git", "worktree", "add", "-q", str(tmp_path / "wt")],
        cwd=repo,
        env=plain_env(),
        check=True,
    )
    wt = tmp_path / "wt"
    assert (wt / ".git").is_file()
    cps = checkpoints_for(wt, exclude=[])
    assert cps.root == wt
    cps.take()
    (wt / "local.txt").write_text("mine\n")
    (wt / "a.txt").write_text("two\n")
    diff = cps.diff()
    assert "+two" in diff and "local.txt" not in diff
    cps.close()


# --- the batch workspace ----------------------------------------------------------------------


def test_batch_leaves_a_copied_git_directory_behind(tmp_path: Path, markers: Path) -> None:
    start = hostile_repo(tmp_path / "start", markers)
    payload(start / ".git" / "hooks", markers, "pre-commit")
    plain_git(start, "status")
    assert fired(markers), "the probe is broken"
    shutil.rmtree(markers)
    markers.mkdir()

    ws = tmp_path / "ws"
    batch_workspace.prepare(ws, repo=None, ref=None, files=str(start))
    baseline = batch_workspace.commit_baseline(ws)
    (ws / "a.txt").write_text("two\n")
    assert b"+two" in baseline.patch()
    baseline.close()
    assert fired(markers) == []
    assert "fsmonitor" not in (ws / ".git" / "config").read_text()


def test_pinned_settings_hold_even_with_the_persons_config(tmp_path: Path, markers: Path) -> None:
    """The batch's own repository is run with the person's config (credentials, LFS); what
    would run a program there is pinned all the same, should something have planted it."""
    repo = make_repo(tmp_path / "repo")
    for name in ("core.fsmonitor", "post-index-change", "post-checkout", "pre-commit"):
        VECTORS[name].plant(repo, markers)
    touch_a(repo)
    for args in (["status"], ["add", "-A"], ["commit", "-qm", "x"], ["checkout", "HEAD~1", "--"]):
        run_git(args, cwd=repo, user_config=True)
    assert fired(markers) == []


def test_batch_refuses_a_ref_that_reads_as_an_option(tmp_path: Path) -> None:
    source = make_repo(tmp_path / "source")
    with pytest.raises(batch_workspace.WorkspaceError, match="not a git revision"):
        batch_workspace.prepare(tmp_path / "ws", repo=str(source), ref="--orphan=x", files=None)


# --- files, symlinks and FIFOs the workspace plants ------------------------------------------


@pytest.mark.parametrize("kind", ["git", "files"])
def test_undo_does_not_write_through_a_planted_symlink(tmp_path: Path, kind: str) -> None:
    ws = make_repo(tmp_path / "ws") if kind == "git" else tmp_path / "ws"
    (ws / "d").mkdir(parents=True)
    (ws / "d" / "x").write_text("mine\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    cps = checkpoints_for(ws, exclude=[])
    assert isinstance(cps.snapshots, GitTrees if kind == "git" else FileCopies)
    cps.take()
    shutil.rmtree(ws / "d")
    (ws / "d").symlink_to(outside)
    (ws / "d" / "probe").write_text("through the link\n")
    assert (outside / "probe").exists(), "the probe is broken: the symlink does not lead outside"
    (outside / "probe").unlink()

    assert "d/x" in (cps.undo() or [])
    assert not (ws / "d").is_symlink() and (ws / "d" / "x").read_text() == "mine\n"
    assert list(outside.iterdir()) == []
    cps.close()


@pytest.mark.parametrize("kind", ["git", "files"])
def test_snapshots_skip_fifos_and_symlinked_files(tmp_path: Path, kind: str) -> None:
    ws = make_repo(tmp_path / "ws") if kind == "git" else tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET\n")
    os.mkfifo(ws / "pipe")
    snapshots = snapshots_for(ws)
    result: list[str] = []

    def run() -> None:
        before = snapshots.take()
        (ws / "leak").symlink_to(secret)
        assert (ws / "leak").read_text() == "SECRET\n"  # the link itself works
        result.append(snapshots.diff(before, snapshots.take()))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "a snapshot blocked on the FIFO"
    assert result and "SECRET" not in result[0]
    snapshots.close()
