"""``[mcp_servers.NAME]`` as Codex documents it: accepted as written, unknown keys named in a
warning, secrets only from the environment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kodo.config import ConfigError, load_config
from kodo.mcp.manager import McpManager
from kodo.mcp.spec import (
    McpServer,
    McpSetupError,
    config_warnings,
    expand,
    server_env,
    server_headers,
)
from kodo.records import read

CODEX_DOCS_CONFIG = Path(__file__).parent / "data" / "codex_docs_config.toml"


def test_the_mcp_examples_of_codexs_config_guide_load_as_written(
    kodo_home: Path, tmp_path: Path
) -> None:
    shutil.copy(CODEX_DOCS_CONFIG, kodo_home / "config.toml")
    servers = load_config(tmp_path).mcp_servers
    assert [name for name, spec in servers.items() if config_warnings(name, spec)] == []

    stdio = servers["server_name"]
    environ = {"PATH": "/bin", "API_KEY2": "passed", "OTHER": "kept back"}
    env = server_env(stdio, environ)
    assert env == {"PATH": "/bin", "API_KEY2": "passed", "API_KEY": "value"}
    assert stdio.cwd == "/Users/<user>/code/my-server"

    http = servers["figma"]
    headers = server_headers(http, {"ENV_VAR": "tok"})
    assert headers == {"HEADER_NAME": "tok", "Authorization": "Bearer tok"}

    docs = servers["docs"]
    assert (docs.start_timeout_s, docs.tool_timeout_s, docs.enabled) == (20, 30, False)
    assert [t for t in ("search", "summarize", "other") if docs.offers(t)] == ["summarize"]


def test_defaults_give_a_first_npx_install_time_to_start(tmp_path: Path) -> None:
    spec = McpServer(command="npx")
    assert spec.start_timeout_s == 30
    assert McpServer(command="npx", startup_timeout_ms=45_000).start_timeout_s == 45
    assert spec.tool_timeout_s == 300


def test_an_unknown_key_is_a_warning_naming_server_and_key_not_a_refusal(
    kodo_home: Path, tmp_path: Path
) -> None:
    (kodo_home / "config.toml").write_text(
        '[mcp_servers.docs]\ncommand = "docs-server"\nfavourite_colour = "blue"\n'
        'bearer_token = "abc"\nhttp_headers = { X = "1" }\n'
        '[mcp_servers.other]\ncommand = "other-server"\n'
    )
    config = load_config(tmp_path)
    assert set(config.mcp_servers) == {"docs", "other"}
    problems = config_warnings("docs", config.mcp_servers["docs"])
    assert "MCP server 'docs': ignoring unknown key 'favourite_colour'" in problems
    (token,) = [p for p in problems if "'bearer_token'" in p]
    assert "bearer_token_env_var" in token
    assert (
        "MCP server 'docs': ignoring 'http_headers', which only applies to `url` servers"
        in problems
    )


def test_a_known_key_of_the_wrong_type_is_a_clear_error(kodo_home: Path, tmp_path: Path) -> None:
    (kodo_home / "config.toml").write_text(
        '[mcp_servers.docs]\ncommand = "x"\nstartup_timeout_sec = "soon"\n'
    )
    with pytest.raises(ConfigError, match=r"mcp_servers\.docs\.startup_timeout_sec"):
        load_config(tmp_path)


def test_variables_are_expanded_or_refused_never_passed_on_as_text() -> None:
    environ = {"TOKEN": "t0k", "EMPTY": ""}
    assert expand("Bearer $TOKEN", environ, "env.X") == "Bearer t0k"
    assert expand("${TOKEN}-x and $$5", environ, "env.X") == "t0k-x and $5"
    assert expand("$EMPTY", environ, "env.X") == ""
    with pytest.raises(McpSetupError, match=r"env\.GITHUB_TOKEN uses \$MISSING, which is not set"):
        expand("$MISSING", environ, "env.GITHUB_TOKEN")
    with pytest.raises(McpSetupError, match="not a variable reference"):
        expand("${TOKEN", environ, "env.X")


def test_a_secret_pasted_into_the_config_is_pointed_out() -> None:
    spec = McpServer(command="x", env={"GITHUB_TOKEN": "ghp_" + "a" * 36, "PLAIN": "$TOKEN"})
    (warning,) = config_warnings("github", spec)
    assert "env.GITHUB_TOKEN holds what looks like a secret" in warning


def test_an_unset_bearer_token_variable_is_an_error_not_an_empty_header() -> None:
    spec = McpServer(url="http://127.0.0.1:1/mcp", bearer_token_env_var="DOCS_TOKEN")
    with pytest.raises(McpSetupError, match="DOCS_TOKEN, which is not set"):
        server_headers(spec, {})


def test_env_vars_from_a_remote_source_cannot_be_honoured() -> None:
    spec = read(
        McpServer,
        {"command": "x", "env_vars": ["LOCAL", {"name": "REMOTE_TOKEN", "source": "remote"}]},
    )
    with pytest.raises(McpSetupError, match="REMOTE_TOKEN"):
        server_env(spec, {"LOCAL": "1"})


def test_a_disabled_server_is_not_started(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-server")
    manager = McpManager({"off": McpServer(command=missing, enabled=False)}, cwd=tmp_path)
    try:
        assert manager.start() == []
        assert manager.tools == []
    finally:
        manager.close()
