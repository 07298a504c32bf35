"""``network = "registries"`` end to end: a real sandbox, its supervisor's loopback port, kodo's
proxy and a package index on the host's 127.0.0.1, with pip installing from it."""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import json
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodo.config import Config, load_config, untrusted_warning
from kodo.sandbox.approval import ScriptedApprover
from kodo.sandbox.bwrap import BwrapExecutor
from kodo.sandbox.registries import discover
from kodo.tools.base import ToolContext
from kodo.tools.registry import ToolRegistry
from kodo.tools.shell import ShellTool

PY = sys.executable
PACKAGE = "kodo_probe"
# The index lives on the host's 127.0.0.1, which commands normally reach directly (NO_PROXY):
# this sends pip through the proxy to it, with no configuration of this machine's pip applied.
THROUGH_PROXY = "env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null NO_PROXY= no_proxy="


def _wheel(folder: Path) -> Path:
    """A one-module wheel, built by hand so nothing is downloaded or compiled."""
    files = {
        f"{PACKAGE}/__init__.py": b"VALUE = 'installed through the proxy'\n",
        f"{PACKAGE}-1.0.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: 1.0\n".encode()
        ),
        f"{PACKAGE}-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: kodo-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for name, data in files.items()
    ]
    files[f"{PACKAGE}-1.0.dist-info/RECORD"] = (
        "\n".join([*record, f"{PACKAGE}-1.0.dist-info/RECORD,,"]) + "\n"
    ).encode()
    path = folder / f"{PACKAGE}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


@pytest.fixture
def index(base: Path) -> Iterator[int]:
    """A PEP 503 index with one package, served on the host's 127.0.0.1."""
    root = base / "index"
    (root / "files").mkdir(parents=True)
    wheel = _wheel(root / "files")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    page = root / "simple" / "kodo-probe"
    page.mkdir(parents=True)
    (page / "index.html").write_text(
        f'<a href="../../files/{wheel.name}#sha256={digest}">{wheel.name}</a>\n'
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def sh(ex: BwrapExecutor, script: str, cwd: Path, timeout_s: float = 120.0):
    return ex.run(["bash", "-c", script], cwd=cwd, timeout_s=timeout_s, max_output_bytes=64_000)


def pip_install(port: int, scheme: str = "http") -> str:
    return (
        f"{THROUGH_PROXY} {PY} -m pip install --no-cache-dir --disable-pip-version-check "
        f"--retries 1 --timeout 20 --target deps --index-url {scheme}://127.0.0.1:{port}/simple/ "
        f"kodo-probe && PYTHONPATH=deps {PY} -c 'import {PACKAGE}; print({PACKAGE}.VALUE)'"
    )


def test_pip_installs_from_an_allowed_index_through_the_proxy(sandbox, workspace, index) -> None:
    ex = sandbox(network="registries", network_allow=[f"http://127.0.0.1:{index}/simple/"])
    result = sh(ex, pip_install(index), workspace)
    assert result.exit_code == 0, result.output
    assert "installed through the proxy" in result.output
    assert (workspace / "deps" / PACKAGE / "__init__.py").is_file()


def test_index_not_allowed_is_refused_and_says_why(sandbox, workspace, index) -> None:
    ex = sandbox(network="registries", network_allow=["pypi.org"])
    result = sh(ex, pip_install(index, "https"), workspace)
    assert result.exit_code != 0
    assert f"sandbox proxy refused 127.0.0.1:{index}" in result.output
    assert "network_allow" in result.output
    assert not (workspace / "deps").exists()


def test_no_other_way_out(sandbox, workspace, index) -> None:
    """The sandbox keeps its own network namespace: the host's loopback is out of reach
    directly, and the proxy port is the supervisor's, on the sandbox's own loopback."""
    ex = sandbox(network="registries", network_allow=[f"127.0.0.1:{index}"])
    direct = sh(ex, f"curl -sS --noproxy '*' http://127.0.0.1:{index}/simple/", workspace)
    assert direct.exit_code == 7 and "Couldn't connect to server" in direct.output
    env = sh(ex, "echo $HTTPS_PROXY $NO_PROXY; tail -n +3 /proc/net/dev | cut -d: -f1", workspace)
    assert env.output.split() == ["http://127.0.0.1:3128", "localhost,127.0.0.1,::1", "lo"]
    # A server the model starts is still reached directly, not through the proxy.
    local = sh(
        ex,
        f"{PY} -m http.server 8765 --bind 127.0.0.1 >/dev/null 2>&1 & "
        "for i in $(seq 50); do curl -s -o /dev/null -w '%{http_code}' "
        "http://127.0.0.1:8765/ && break; sleep 0.1; done",
        workspace,
    )
    assert local.output.endswith("200"), local.output


def test_proxy_survives_a_sandbox_restart(sandbox, workspace, index) -> None:
    ex = sandbox(network="registries", network_allow=[f"127.0.0.1:{index}"])
    fetch = f"NO_PROXY= no_proxy= curl -sS -o /dev/null -w '%{{http_code}}' http://127.0.0.1:{index}/simple/"
    assert sh(ex, fetch, workspace).output == "200"
    killed = sh(ex, "kill -9 $PPID", workspace)
    assert killed.note and "restarted" in killed.note
    assert sh(ex, fetch, workspace).output == "200"


def call(ctx: ToolContext, command: str):
    return ToolRegistry([ShellTool()]).dispatch("shell", json.dumps({"command": command}), ctx)


def test_a_command_without_network_tells_the_model_what_the_person_can_do(
    sandbox, workspace
) -> None:
    ex = sandbox()
    ctx = ToolContext(workspace, ex.config, lambda e: None, ex, None)
    out = call(ctx, "curl -sS http://pypi.org/simple/")
    assert not out.ok
    assert 'network = "registries"' in out.output and "--network" in out.output
    ok = call(ctx, "echo fine")
    assert "network" not in ok.output


def test_a_refused_host_names_network_allow(sandbox, workspace) -> None:
    ex = sandbox(network="registries", network_allow=["127.0.0.1:1"])
    ctx = ToolContext(workspace, ex.config, lambda e: None, ex, None)
    out = call(ctx, "curl -sS https://example.com/")
    assert "CONNECT tunnel failed, response 403" in out.output
    assert 'network_allow = ["HOST"]' in out.output.split("note from kodo:")[1]


def test_on_request_offers_network_as_an_approval(sandbox, workspace) -> None:
    approver = ScriptedApprover(["no"])
    ex = sandbox(approval_policy="on-request")
    ctx = ToolContext(workspace, ex.config, lambda e: None, ex, approver)
    out = call(ctx, "curl -sS http://pypi.org/simple/")
    [request] = approver.requests
    assert request.escalate and "needs network access" in (request.reason or "")
    assert "not re-run outside the sandbox: the command was refused by the person" in out.output
    assert "note from kodo:" in out.output
    # a failure that has nothing to do with the network asks nothing
    assert not call(ctx, "exit 3").ok and len(approver.requests) == 1


def test_a_project_cannot_open_the_network_until_trusted(tmp_path: Path) -> None:
    (tmp_path / ".kodo").mkdir()
    (tmp_path / ".kodo" / "config.toml").write_text(
        'network = "registries"\nnetwork_allow = ["evil.example"]\n'
    )
    config = load_config(tmp_path)
    assert config.network_mode == "off" and config.network_allow == []
    warning = untrusted_warning(tmp_path) or ""
    assert "network" in warning and "network_allow" in warning


def test_indexes_come_from_the_persons_pip_uv_and_npm_config(tmp_path: Path) -> None:
    home, etc = tmp_path / "home", tmp_path / "etc"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "pip" / "pip.conf").write_text(
        "[global]\nindex-url = https://alice:s3cret@mirror.example.com/simple\n"
        "extra-index-url = https://extra.example.com/simple file:///opt/local\n"
    )
    (home / ".config" / "uv").mkdir()
    (home / ".config" / "uv" / "uv.toml").write_text(
        '[[index]]\nurl = "https://uv-index.example.com:8443/simple"\n'
    )
    (home / ".npmrc").write_text(
        "registry=https://npm.example.com/\n@acme:registry=https://npm.acme.example/\n"
        "//npm.example.com/:_authToken=NPM-SECRET\n"
    )
    found = discover({}, home, etc)
    assert found.hosts == [
        "https://alice:s3cret@mirror.example.com/simple",
        "https://extra.example.com/simple",
        "https://uv-index.example.com:8443/simple",
        "https://npm.example.com/",
        "https://npm.acme.example/",
    ]
    assert found.env == {
        "PIP_INDEX_URL": "https://mirror.example.com/simple",
        "PIP_EXTRA_INDEX_URL": "https://extra.example.com/simple",
        "npm_config_registry": "https://npm.example.com/",
    }
    assert "SECRET" not in json.dumps(found.env) and "s3cret" not in json.dumps(found.env)
    defaults = discover({"PIP_EXTRA_INDEX_URL": "https://more.example.org/x"}, tmp_path, etc)
    assert defaults.hosts == [
        "https://pypi.org/",
        "https://files.pythonhosted.org/",
        "https://more.example.org/x",
        "https://registry.npmjs.org/",
    ]


def test_bad_network_allow_is_a_clear_error(workspace) -> None:
    from kodo.sandbox.base import SandboxUnavailable

    with pytest.raises(SandboxUnavailable, match=r"network_allow: 'pypi\.org/simple' is not"):
        BwrapExecutor(Config(network="registries", network_allow=["pypi.org/simple"]), workspace)
