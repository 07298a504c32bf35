"""Escape attempts under the default policy (workspace-write, network off): each must fail."""

from __future__ import annotations

import http.server
import os
import signal
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodo.config import Config
from kodo.sandbox import mounts
from tests.sandbox.conftest import free_port, wait_gone, wait_present

PY = sys.executable


def run(ex, argv: list[str], cwd: Path, timeout_s: float = 10.0, cap: int = 16_000):
    return ex.run(argv, cwd=cwd, timeout_s=timeout_s, max_output_bytes=cap)


def sh(ex, script: str, cwd: Path, **kw):
    return run(ex, ["bash", "-c", script], cwd, **kw)


@pytest.fixture
def host_server() -> Iterator[int]:
    """An HTTP server on the host's loopback."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def fetch(port: int) -> str:
    return (
        "import urllib.request as u\n"
        f"print('STATUS', u.urlopen('http://127.0.0.1:{port}/', timeout=3).status)"
    )


def test_writes_in_workspace_reach_the_host(sandbox, workspace: Path) -> None:
    result = sh(sandbox(), "echo hello > made.txt && cat made.txt", workspace)
    assert result.exit_code == 0, result
    assert (workspace / "made.txt").read_text() == "hello\n"


def test_write_outside_workspace_is_denied(sandbox, workspace: Path, base: Path) -> None:
    outside = base / "outside"
    outside.mkdir()
    result = sh(sandbox(), f"echo pwned > {outside}/f", workspace)
    assert result.exit_code != 0
    assert "Read-only file system" in result.output
    assert not (outside / "f").exists()


def test_symlinks_cannot_lead_writes_out(sandbox, workspace: Path, base: Path) -> None:
    outside = base / "outside"
    outside.mkdir()
    (outside / "target").write_text("original")
    (workspace / "dirlink").symlink_to(outside)
    (workspace / "filelink").symlink_to(outside / "target")
    ex = sandbox()
    assert sh(ex, "echo pwned > dirlink/new", workspace).exit_code != 0
    assert sh(ex, "echo pwned > filelink", workspace).exit_code != 0
    assert not (outside / "new").exists()
    assert (outside / "target").read_text() == "original"


def test_read_only_mode_protects_the_workspace(sandbox, workspace: Path) -> None:
    result = sh(sandbox(sandbox_mode="read-only"), "echo x > f", workspace)
    assert result.exit_code != 0
    assert not (workspace / "f").exists()


def test_host_loopback_unreachable_without_network(sandbox, workspace: Path, host_server) -> None:
    result = run(sandbox(), [PY, "-c", fetch(host_server)], workspace)
    assert result.exit_code != 0
    assert "STATUS" not in result.output


def test_network_access_reaches_host_loopback(sandbox, workspace: Path, host_server) -> None:
    result = run(sandbox(network_access=True), [PY, "-c", fetch(host_server)], workspace)
    assert "STATUS 200" in result.output, result


def test_credentials_are_masked(sandbox, workspace: Path, base: Path, monkeypatch) -> None:
    home = base / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE-KEY-MATERIAL")
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text("aws_secret_access_key=AWS-SECRET")
    (home / ".netrc").write_text("machine x password NETRC-SECRET")
    kodo_home = base / "kodo-home"
    kodo_home.mkdir()
    (kodo_home / "auth.json").write_text("KODO-SECRET")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KODO_HOME", str(kodo_home))
    script = (
        "cat ~/.ssh/id_rsa ~/.aws/credentials ~/.netrc $KODO_HOME/auth.json; "
        "grep -r SECRET ~ 2>/dev/null; echo HOME=$HOME"
    )
    result = sh(sandbox(env_allow=["KODO_HOME"]), script, workspace)
    for secret in ("PRIVATE-KEY", "AWS-SECRET", "NETRC-SECRET", "KODO-SECRET"):
        assert secret not in result.output
    assert f"HOME={home}" in result.output


def test_secrets_are_not_in_the_environment(sandbox, workspace: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    monkeypatch.setenv("FOO_TOKEN", "foo-token-secret")
    monkeypatch.setenv("db_password_x", "pw-secret")
    monkeypatch.setenv("ALLOWED_TOKEN", "allowed-value")
    script = "env; cat /proc/[0-9]*/environ | tr '\\0' '\\n'"
    result = sh(sandbox(env_allow=["ALLOWED_TOKEN"]), script, workspace)
    assert "PATH=" in result.output
    assert "allowed-value" in result.output
    for secret in ("sk-test-secret", "foo-token-secret", "pw-secret"):
        assert secret not in result.output


def test_output_flood_is_bounded(sandbox, workspace: Path) -> None:
    result = sh(
        sandbox(), "head -c 100000000 /dev/zero | tr '\\0' x; echo END", workspace, cap=4000
    )
    assert result.exit_code == 0
    assert result.omitted_bytes >= 100_000_000 - 4000
    assert len(result.output) < 4200
    assert result.output.rstrip().endswith("END")
    assert result.duration_s < 10


def test_foreground_leftovers_die_with_the_command(sandbox, workspace: Path) -> None:
    marker = f"{uuid.uuid4().int % 10**6 + 5_000_000}"
    result = sh(sandbox(), f"sleep {marker} >/dev/null & echo started", workspace)
    assert result.exit_code == 0 and result.output == "started\n"
    assert wait_gone(marker) == []


def test_timeout_kills_the_whole_group(sandbox, workspace: Path) -> None:
    marker = f"{uuid.uuid4().int % 10**6 + 3_000_000}"
    script = f"sleep {marker} & sleep {marker}.5; echo never"
    result = sh(sandbox(), script, workspace, timeout_s=0.5)
    assert result.timed_out and result.exit_code is None
    assert "never" not in result.output
    assert wait_gone(marker) == []


def test_killing_the_supervisor_does_not_take_kodo_down(sandbox, workspace: Path) -> None:
    ex = sandbox()
    server = ex.start(["sleep", "1000"], cwd=workspace)
    result = sh(ex, "kill -9 $PPID; sleep 5", workspace)
    assert result.note is not None and "supervisor died" in result.note
    assert server.poll() is not None and "lost" in server.status()
    again = sh(ex, "echo alive", workspace)
    assert again.exit_code == 0 and again.output == "alive\n"


def test_fork_bomb_is_contained(sandbox, workspace: Path) -> None:
    ex = sandbox(limits={"max_processes": 40})
    result = sh(ex, ":(){ :|:& };:", workspace, timeout_s=2)
    assert "Resource temporarily unavailable" in result.output
    after = sh(ex, "echo alive", workspace)
    assert after.output == "alive\n"


def test_memory_hog_is_contained(sandbox, workspace: Path) -> None:
    ex = sandbox(limits={"memory_mb": 300})
    result = run(ex, [PY, "-c", "b = bytearray(4 * 1024**3); print('GOT IT')"], workspace)
    assert result.exit_code != 0
    assert "MemoryError" in result.output and "GOT IT" not in result.output
    assert run(ex, ["echo", "alive"], workspace).output == "alive\n"


def test_background_server_reached_by_later_command(sandbox, workspace: Path) -> None:
    ex = sandbox()
    port = free_port()
    (workspace / "index.html").write_text("hi")
    server = ex.start([PY, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=workspace)
    probe = (
        "import time, urllib.request as u\n"
        "for _ in range(100):\n"
        "    try:\n"
        f"        print('STATUS', u.urlopen('http://127.0.0.1:{port}/index.html').status); break\n"
        "    except OSError: time.sleep(0.05)\n"
    )
    result = run(ex, [PY, "-c", probe], workspace)
    assert "STATUS 200" in result.output, result
    assert server.poll() is None
    ex.close()
    assert wait_gone(f"http.server {port}") == []


def test_close_leaves_no_orphans(sandbox, workspace: Path) -> None:
    marker = f"{uuid.uuid4().int % 10**6 + 4_000_000}"
    ex = sandbox()
    ex.start(["bash", "-c", f"sleep {marker} & setsid sleep {marker}.5 & wait"], cwd=workspace)
    sh(ex, f"setsid sleep {marker}.7 >/dev/null 2>&1 &", workspace)
    assert len(wait_present(marker, 3)) >= 3
    ex.close()
    assert wait_gone(marker) == []


def test_killing_bwrap_from_outside_restarts_the_sandbox(sandbox, workspace: Path) -> None:
    ex = sandbox()
    assert sh(ex, "echo one", workspace).exit_code == 0
    os.kill(ex._box.proc.pid, signal.SIGKILL)
    result = sh(ex, "echo two", workspace)
    if result.note is None:  # the command raced the death notice and ran in the dying sandbox
        result = sh(ex, "echo two", workspace)
    assert result.note is not None and "restarted" in result.note
    assert sh(ex, "echo three", workspace).output == "three\n"


def test_gpu_devices_are_bound_in(sandbox, workspace: Path, monkeypatch) -> None:
    monkeypatch.setattr(mounts, "gpu_devices", lambda: ["/dev/full"])
    argv = mounts.bwrap_argv("bwrap", Config(), workspace, {}, 3)
    assert argv[argv.index("/dev/full") - 1] == "--dev-bind"
    result = sh(sandbox(), "head -c 3 /dev/full | od -An -c", workspace)
    assert result.exit_code == 0 and "\\0" in result.output


def test_a_host_socket_that_vanishes_before_bwrap_binds_it(sandbox, base: Path, monkeypatch):
    """A daemon's socket listed in /proc/net/unix can be gone by the time bwrap masks it; the
    sandbox is then started again with a fresh list instead of failing the session."""
    gone = base / "daemon.sock"  # never created: the socket vanished
    real = mounts.host_sockets
    calls: list[int] = []

    def listed_then_gone() -> list[Path]:
        calls.append(1)
        return [gone, *real()] if len(calls) == 1 else real()

    monkeypatch.setattr(mounts, "host_sockets", listed_then_gone)
    ex = sandbox()
    assert sh(ex, "echo up", base / "ws").output == "up\n"
    assert len(calls) == 2  # the first bwrap failed on the vanished socket, the second ran
