"""Attacks on the real session sandbox (BwrapExecutor, and `kodo sandbox` once): host unix
sockets, credential files (also ones that appear or are replaced mid-session), secrets in the
environment, memory-backed folders, the supervisor, and the workspace's .git and .kodo.

Every attack has a positive control showing the probe works where nothing stops it, so no test
passes because its probe is broken. Bait lives under /var/tmp: the sandbox's /tmp is private.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from kodo.config import Config
from kodo.records import read
from kodo.sandbox import bwrap as bwrap_module
from kodo.sandbox.bwrap import BwrapExecutor
from kodo.sandbox.limits import total_memory
from kodo.sandbox.local import LocalExecutor
from kodo.sandbox.mounts import MAX_SOCKET_MASKS

PY = sys.executable
CONNECT = (
    "import socket, sys\n"
    "c = socket.socket(socket.AF_UNIX)\n"
    "try:\n"
    "    c.connect(sys.argv[1].replace('@', '\\0', 1))\n"
    "    print('CONNECTED')\n"
    "except OSError as exc:\n"
    "    print('REFUSED', exc)\n"
)

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")


@pytest.fixture
def home(base: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of our own, so credential bait never touches the person's."""
    path = base / "home"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    return path


def run(ex, argv: list[str], cwd: Path, timeout_s: float = 30.0):
    return ex.run(argv, cwd=cwd, timeout_s=timeout_s, max_output_bytes=32_000)


def sh(ex, script: str, cwd: Path, timeout_s: float = 30.0):
    return run(ex, ["bash", "-c", script], cwd, timeout_s)


def py(ex, code: str, cwd: Path, *args: str, timeout_s: float = 60.0):
    return run(ex, [PY, "-c", code, *args], cwd, timeout_s)


def listen(path: str) -> socket.socket:
    """A listening unix socket; ``@name`` is an abstract one."""
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(path.replace("@", "\0", 1))
    sock.listen(16)
    return sock


def host_connects(path: str) -> bool:
    done = subprocess.run([PY, "-c", CONNECT, path], capture_output=True, text=True, timeout=30)
    return "CONNECTED" in done.stdout


# --- host unix sockets ---------------------------------------------------------------------


def test_planted_sockets_are_unreachable(sandbox, workspace: Path, base: Path, home: Path):
    paths = [str(home / "agent.sock"), str(base / "daemon.sock"), str(workspace / "ide.sock")]
    socks = [listen(p) for p in paths]
    try:
        for path in paths:
            assert host_connects(path), path  # control: the probe reaches a live socket
        ex = sandbox()
        for path in paths:
            result = py(ex, CONNECT, workspace, path)
            assert "REFUSED" in result.output and "CONNECTED" not in result.output, path
        # control: with the network on nothing is masked, and the same probe gets through
        shared = sandbox(network_access=True)
        assert "CONNECTED" in py(shared, CONNECT, workspace, paths[1]).output
    finally:
        for sock in socks:
            sock.close()


def test_crowded_socket_folder_is_masked_whole(sandbox, workspace: Path, base: Path):
    crowd = base / "crowd"
    crowd.mkdir()
    socks = [listen(str(crowd / f"s{i}")) for i in range(MAX_SOCKET_MASKS + 6)]
    (crowd / "plain.txt").write_text("x")
    try:
        assert host_connects(str(crowd / "s0"))
        started = time.monotonic()
        ex = sandbox()
        assert time.monotonic() - started < 5
        result = py(ex, CONNECT, workspace, str(crowd / "s0"))
        assert "REFUSED" in result.output
        assert sh(ex, f"ls {crowd} | wc -l", workspace).output.strip() == "0"
    finally:
        for sock in socks:
            sock.close()


def test_abstract_sockets_are_per_network_namespace(sandbox, workspace: Path):
    name = f"@kodo-test-{uuid.uuid4().hex}"
    with listen(name):
        assert host_connects(name)
        assert "REFUSED" in py(sandbox(), CONNECT, workspace, name).output
        assert "CONNECTED" in py(sandbox(network_access=True), CONNECT, workspace, name).output


def test_run_is_empty_inside(sandbox, workspace: Path):
    host_entries = [p for p in ("/run", "/var/run") if os.path.isdir(p) and os.listdir(p)]
    if not host_entries:
        pytest.skip("this host has nothing under /run")
    result = sh(
        sandbox(), "ls -A /run /var/run | grep -v ':$' | grep -c . ; touch /run/x", workspace
    )
    assert result.output.splitlines()[0] == "0", result.output
    assert "Read-only file system" in result.output
    shared = sandbox(network_access=True)
    assert sh(shared, "ls -A /run | grep -c .", workspace).output.strip() != "0"


def test_sockets_made_inside_keep_working(sandbox, workspace: Path):
    ex = sandbox()
    managers = (
        "import multiprocessing as mp\n"
        "if __name__ == '__main__':\n"
        "    with mp.Manager() as m:\n"
        "        d = m.dict(a=1)\n"
        "        print('MANAGER', dict(d))\n"
        "    with mp.Pool(2) as pool:\n"
        "        print('POOL', pool.map(abs, [-1, -2, -3]))\n"
    )
    result = py(ex, managers, workspace)
    assert "MANAGER {'a': 1}" in result.output and "POOL [1, 2, 3]" in result.output, result
    # a server bound in the workspace by one command, reached by a later one
    server = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_UNIX); s.bind('srv.sock'); s.listen()\n"
        "print('UP', flush=True)\n"
        "c, _ = s.accept(); c.sendall(b'hello'); c.close()\n"
    )
    handle = ex.start([PY, "-c", server], cwd=workspace)
    assert "UP" in handle.read_new(10)
    client = (
        "import socket\n"
        "c = socket.socket(socket.AF_UNIX); c.connect('srv.sock'); print(c.recv(5).decode())\n"
    )
    assert py(ex, client, workspace).output.strip() == "hello"
    handle.stop()


def test_torch_dataloader_workers_run(sandbox, workspace: Path):
    pytest.importorskip("torch")
    code = (
        "import torch\n"
        "from torch.utils.data import DataLoader, TensorDataset\n"
        "if __name__ == '__main__':\n"
        "    data = TensorDataset(torch.arange(64.0).reshape(16, 4))\n"
        "    loader = DataLoader(data, batch_size=4, num_workers=2)\n"
        "    total = sum(batch[0].sum().item() for batch in loader)\n"
        "    print('TOTAL', total)\n"
    )
    result = py(sandbox(), code, workspace, timeout_s=120)
    assert "TOTAL 2016.0" in result.output, result


# --- credentials -----------------------------------------------------------------------------

CREDENTIAL_FILES = [
    ".config/gh/hosts.yml",
    ".pip/pip.conf",
    ".config/pip/pip.conf",
    ".npmrc",
    ".yarnrc.yml",
    ".cargo/credentials.toml",
    ".cache/huggingface/token",
    ".huggingface/token",
    ".docker/config.json",
    ".kube/config",
    ".config/gcloud/credentials.db",
    ".azure/accessTokens.json",
    ".gnupg/private-keys-v1.d/key",
    ".netrc",
    ".git-credentials",
    ".pypirc",
    ".terraform.d/credentials.tfrc.json",
    ".codex/auth.json",
    ".claude/.credentials.json",
    ".claude.json",
    ".config/github-copilot/hosts.json",
    ".ssh/id_ed25519",
    ".aws/credentials",
]


def plant(home: Path, rel: str, secret: str) -> None:
    path = home / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secret)


def test_default_hidden_paths_cover_common_credential_stores(sandbox, workspace, home):
    for i, rel in enumerate(CREDENTIAL_FILES):
        plant(home, rel, f"SECRET-{i}-")
    (home / ".cache" / "huggingface" / "hub").mkdir(parents=True)
    (home / ".cache" / "huggingface" / "hub" / "model.txt").write_text("weights")
    script = "cat " + " ".join(f"~/{rel}" for rel in CREDENTIAL_FILES) + " 2>/dev/null"
    script += "; grep -r SECRET- ~ 2>/dev/null; cat ~/.cache/huggingface/hub/model.txt"
    leaked = sh(sandbox(), script, workspace).output
    assert "SECRET-" not in leaked
    assert "weights" in leaked  # caches next to a token stay readable
    exposed = sh(sandbox(hidden_paths=[]), script, workspace).output  # control
    for i in range(len(CREDENTIAL_FILES)):
        assert f"SECRET-{i}-" in exposed


def test_credentials_created_mid_session_are_hidden(sandbox, workspace, home, monkeypatch):
    ex = sandbox()
    script = "cat ~/.config/gh/hosts.yml ~/.npmrc 2>&1; echo DONE"
    first = sh(ex, script, workspace)
    assert first.note is None and "DONE" in first.output
    plant(home, ".config/gh/hosts.yml", "oauth_token: GH-LATE-SECRET")
    plant(home, ".npmrc", "//registry.npmjs.org/:_authToken=NPM-LATE-SECRET")
    second = sh(ex, script, workspace)
    assert "LATE-SECRET" not in second.output and "DONE" in second.output
    assert second.note is not None and "restarted" in second.note
    assert ".npmrc" in second.note and ".config/gh" in second.note
    third = sh(ex, script, workspace)
    assert third.note is None and "LATE-SECRET" not in third.output
    # control: without the check before each command, a new file shows through
    monkeypatch.setattr(bwrap_module, "mask_state", lambda entries: {})
    blind = sandbox()
    plant(home, ".cargo/credentials.toml", "token = 'CARGO-LATE-SECRET'")
    assert "CARGO-LATE-SECRET" in sh(blind, "cat ~/.cargo/credentials.toml", workspace).output


def test_credential_replaced_on_the_host_stays_hidden(sandbox, workspace, home, monkeypatch):
    """Tools rewrite files atomically (temporary file, rename over). The rename detaches a mask
    in the sandbox's mount namespace, so the sandbox must be started again."""
    netrc = home / ".netrc"
    netrc.write_text("machine a password OLD-SECRET")

    def replace(text: str) -> None:
        tmp = home / ".netrc.tmp"
        tmp.write_text(text)
        os.replace(tmp, netrc)

    ex = sandbox()
    assert "OLD-SECRET" not in sh(ex, "cat ~/.netrc; echo DONE", workspace).output
    replace("machine a password NEW-SECRET")
    result = sh(ex, "cat ~/.netrc; echo DONE", workspace)
    assert "NEW-SECRET" not in result.output and "DONE" in result.output
    assert result.note is not None and ".netrc" in result.note
    # control: the same replacement, with the check disabled, leaks into the running sandbox
    monkeypatch.setattr(bwrap_module, "mask_state", lambda entries: {})
    blind = sandbox()
    assert "NEW-SECRET" not in sh(blind, "cat ~/.netrc", workspace).output
    replace("machine a password NEWER-SECRET")
    assert "NEWER-SECRET" in sh(blind, "cat ~/.netrc", workspace).output


# --- environment -----------------------------------------------------------------------------

ENV_BAIT = {
    "SSH_AUTH_SOCK": "/run/user/1000/ssh-agent.socket",
    "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus",
    "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/run/dbus/system_bus_socket",
    "GPG_AGENT_INFO": "/run/user/1000/gnupg/S.gpg-agent:0:1",
    "DOCKER_HOST": "unix:///run/docker.sock",
    "XDG_RUNTIME_DIR": "/run/user/1000",
    "DATABASE_URL": "postgres://app:DB-PW-BAIT@db.internal/app",
    "SOME_SETTING": "ghp_" + "a1B2" * 9,
    "UPSTREAM": "sk-ant-api03-" + "Zz9" * 10,
    "SENTRY_DSN": "https://public@sentry.example/1",
    "GITHUB_PAT": "pat-bait",
    "DB_PWD": "pwd-bait",
    "SLACK_WEBHOOK": "https://hooks.slack.example/T0/B0/x",
    "DEPLOY_KEYFILE": "-----BEGIN OPENSSH PRIVATE KEY-----\nabc",
}


def test_socket_pointers_and_credential_values_stay_out(sandbox, workspace, monkeypatch):
    for name, value in ENV_BAIT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("KODO_NEUTRAL", "plain-value")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Ada")
    script = "env; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n'"
    out = sh(sandbox(env_allow=["DOCKER_HOST"]), script, workspace).output
    for name in ENV_BAIT:
        if name != "DOCKER_HOST":
            assert f"{name}=" not in out, name
    for value in ("DB-PW-BAIT", "a1B2a1B2", "Zz9Zz9", "pat-bait", "pwd-bait", "PRIVATE KEY"):
        assert value not in out
    # controls: the same environment reaches commands for names not matched or allowed
    for kept in ("PATH=", "PWD=", "KODO_NEUTRAL=plain-value", "GIT_AUTHOR_NAME=Ada"):
        assert kept in out
    assert "DOCKER_HOST=unix:///run/docker.sock" in out


# --- memory and disk -------------------------------------------------------------------------


def test_tmp_and_shm_are_capped(sandbox, workspace: Path):
    ex = sandbox(limits={"tmp_size_mb": 8, "shm_size_mb": 8})
    for folder in ("/tmp", "/dev/shm"):
        fits = sh(ex, f"head -c 4000000 /dev/zero > {folder}/a && echo FITS", workspace)
        assert "FITS" in fits.output, fits  # control: the folder is writable
        full = sh(ex, f"head -c 16000000 /dev/zero > {folder}/b && echo FITS", workspace)
        assert "No space left on device" in full.output and "FITS" not in full.output
    dev = sh(ex, "head -c 1000 /dev/zero > /dev/filler && echo WROTE", workspace)
    assert "Read-only file system" in dev.output and "WROTE" not in dev.output
    assert sh(ex, "echo x > /dev/null && echo DEVNULL", workspace).output == "DEVNULL\n"


def test_default_tmpfs_size_is_a_quarter_of_memory(sandbox, workspace: Path):
    sizes = sh(sandbox(), "df -B1 --output=size /tmp /dev/shm | tail -n 2", workspace).output
    quarter = total_memory() // 4
    for line in sizes.split():
        assert abs(int(line) - quarter) < 1024 * 1024, sizes


@pytest.mark.parametrize("mode", ["workspace-write", "danger-full-access"])
def test_file_size_limit(workspace: Path, mode: str):
    config = read(Config, {"sandbox_mode": mode, "limits": {"file_size_mb": 1}})
    ex = BwrapExecutor(config, workspace) if mode != "danger-full-access" else LocalExecutor(config)
    try:
        write = "import sys; open('f', 'wb').write(b'x' * int(sys.argv[1])); print('WROTE')"
        assert "WROTE" in py(ex, write, workspace, "500000").output  # control
        big = py(ex, write, workspace, "3000000")
        assert "File too large" in big.output and "WROTE" not in big.output
        assert (workspace / "f").stat().st_size <= 1024 * 1024
    finally:
        ex.close()


# --- the supervisor --------------------------------------------------------------------------

TRACE = r"""
import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]

def attach(pid):
    if libc.ptrace(16, pid, None, None) != 0:  # PTRACE_ATTACH
        return "denied"
    os.waitpid(pid, 0)
    libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
    return "attached"

def opens(path):
    try:
        open(path, "rb").close()
        return "opened"
    except OSError:
        return "denied"

def fd(pid):
    try:
        os.readlink(f"/proc/{pid}/fd/0")
        return "opened"
    except OSError:
        return "denied"

sup = os.getppid()
print("PARENT", open(f"/proc/{sup}/cmdline", "rb").read().replace(b"\0", b" ").decode())
child = subprocess.Popen(["sleep", "60"])
for name, pid in (("supervisor", sup), ("child", child.pid)):
    print(name, attach(pid), opens(f"/proc/{pid}/environ"), opens(f"/proc/{pid}/mem"), fd(pid))
child.kill()
"""


def test_commands_cannot_trace_the_supervisor(sandbox, workspace: Path):
    result = py(sandbox(), TRACE, workspace)
    assert "supervisor.py" in result.output.splitlines()[0], result  # the right target
    assert "supervisor denied denied denied denied" in result.output, result
    assert "child attached opened opened opened" in result.output, result  # control


# --- .git and .kodo --------------------------------------------------------------------------


def test_git_and_kodo_folders_are_read_only(workspace: Path, base: Path):
    (workspace / ".kodo").mkdir()
    (workspace / ".git" / "hooks").mkdir(parents=True)
    repo = base / "repo"  # a writable root that is a repository with a worktree
    (repo / ".git" / "hooks").mkdir(parents=True)
    worktree_meta = repo / ".git" / "worktrees" / "wt"
    worktree_meta.mkdir(parents=True)
    (worktree_meta / "commondir").write_text("../..\n")
    worktree = base / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {worktree_meta}\n")
    targets = [
        workspace / ".kodo" / "config.toml",
        workspace / ".git" / "hooks" / "pre-commit",
        repo / ".git" / "hooks" / "pre-commit",
        worktree_meta / "HEAD",
        worktree / ".git",  # a repository of the command's own in its place would run hooks
    ]
    script = " ; ".join(f"echo x > {t} && echo WROTE {t}" for t in targets)
    script += f" ; rm -f {worktree}/.git && echo REMOVED"
    script += f" ; echo x > {workspace}/ok && echo x > {repo}/ok && echo x > {worktree}/ok"
    script += " && echo PLAIN-OK"
    config = Config(writable_roots=[str(repo), str(worktree)])
    ex = BwrapExecutor(config, workspace)
    try:
        result = sh(ex, script, workspace)
    finally:
        ex.close()
    assert "WROTE" not in result.output and "REMOVED" not in result.output, result.output
    assert result.output.count("Read-only file system") == len(targets)
    assert "PLAIN-OK" in result.output  # control: ordinary files stay writable
    outside = LocalExecutor(Config(sandbox_mode="danger-full-access"))
    try:  # control: the probe writes each target where nothing protects it
        assert sh(outside, script, workspace).output.count("WROTE") == len(targets)
    finally:
        outside.close()


# --- through the command line ----------------------------------------------------------------


def kodo_sandbox(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "kodo", "sandbox", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_sandbox_blocks_a_host_socket_and_a_credential(workspace: Path, base: Path, home):
    plant(home, ".config/gh/hosts.yml", "oauth_token: CLI-SECRET")
    path = str(base / "cli.sock")
    script = f'{PY} -c "$1" {path}; cat ~/.config/gh/hosts.yml'
    argv = ["--", "bash", "-c", script, "probe", CONNECT]
    with listen(path):
        boxed = kodo_sandbox(workspace, *argv)
        assert "REFUSED" in boxed.stdout and "CLI-SECRET" not in boxed.stdout, boxed
        bare = kodo_sandbox(workspace, "-s", "danger-full-access", *argv)  # control
        assert "CONNECTED" in bare.stdout and "CLI-SECRET" in bare.stdout, bare
