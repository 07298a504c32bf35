"""One ``[mcp_servers.NAME]`` table, with the keys Codex documents and their meaning, so a
config written for Codex works here unchanged.

A key kodo does not know is a warning naming the server and the key, never a refusal of the
whole config. Secrets stay in the environment: ``env_vars``, ``env_http_headers`` and
``bearer_token_env_var`` pass variables through by name, and ``$VAR`` in an ``env`` or
``http_headers`` value is expanded when the server starts, or stops that server with a clear
error when the variable is unset: it is never passed on as literal text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from kodo.records import spec

DEFAULT_START_TIMEOUT_S = 30.0  # a first `npx -y PACKAGE` downloads the package: 20 s and more
DEFAULT_TOOL_TIMEOUT_S = 300.0
_SAFE_ENV = ("PATH", "HOME", "LANG")  # a stdio server gets these, never kodo's API keys

# Codex keys kodo understands but does not act on, with why; other unknown keys are just named.
_UNSUPPORTED = {
    "bearer_token": "put the token in an environment variable and name it in bearer_token_env_var",
    "oauth": "kodo does no OAuth login; use bearer_token_env_var or http_headers",
    "scopes": "kodo does no OAuth login",
    "oauth_resource": "kodo does no OAuth login",
    "experimental_environment": "kodo starts servers on this machine only",
    "required": "kodo always goes on without a server that does not start",
    "default_tools_approval_mode": "kodo's approval_policy decides when MCP calls are asked",
    "tools": "kodo's approval_policy decides when MCP calls are asked",
}
_STDIO_ONLY = ("args", "env", "env_vars", "cwd")
_HTTP_ONLY = ("bearer_token_env_var", "http_headers", "env_http_headers")
_REFERENCE = re.compile(
    r"\$(?:\{(?P<braced>[^}]*)(?P<close>\}?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<dollar>\$))"
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class McpSetupError(Exception):
    """A server's config that cannot become a process or a connection; says which key and why."""


@dataclass(kw_only=True)
class EnvVarRef:
    """Codex's long form of an ``env_vars`` entry."""

    EXTRA: ClassVar[str] = "forbid"
    name: str
    source: Literal["local", "remote"] = "local"


@dataclass(kw_only=True)
class McpServer:
    EXTRA: ClassVar[str] = "keep"  # unknown keys: ``config_warnings``
    extra: dict[str, Any] = field(default_factory=dict, init=False)

    command: str | None = None
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    env_vars: list[str | EnvVarRef] = field(default_factory=list)
    cwd: str | None = None
    url: str | None = None
    bearer_token_env_var: str | None = None
    http_headers: dict[str, str] = field(default_factory=dict)
    env_http_headers: dict[str, str] = field(default_factory=dict)  # header -> variable name
    startup_timeout_sec: float | None = spec(None, gt=0)
    startup_timeout_ms: int | None = spec(None, gt=0)  # Codex's older spelling
    tool_timeout_sec: float | None = spec(None, gt=0)
    enabled: bool = True
    enabled_tools: list[str] | None = None
    disabled_tools: list[str] = field(default_factory=list)

    @property
    def start_timeout_s(self) -> float:
        if self.startup_timeout_sec is not None:
            return self.startup_timeout_sec
        if self.startup_timeout_ms is not None:
            return self.startup_timeout_ms / 1000
        return DEFAULT_START_TIMEOUT_S

    @property
    def tool_timeout_s(self) -> float:
        return self.tool_timeout_sec or DEFAULT_TOOL_TIMEOUT_S

    def transport_problem(self) -> str | None:
        if (self.command is None) == (self.url is None):
            return "needs exactly one of `command` (stdio) or `url` (streamable HTTP)"
        return None

    def offers(self, tool: str) -> bool:
        """``enabled_tools`` first, then ``disabled_tools``, as in Codex."""
        allowed = self.enabled_tools is None or tool in self.enabled_tools
        return allowed and tool not in self.disabled_tools


def config_warnings(name: str, spec: McpServer) -> list[str]:
    """One line per key of the table that kodo ignores, and per secret written into it."""
    from kodo.sandbox.env import (
        secret_value,
    )  # kodo.sandbox imports kodo.config, which imports this

    where = f"MCP server {name!r}"
    lines = []
    for key in spec.extra:
        hint = _UNSUPPORTED.get(key)
        lines.append(f"{where}: ignoring unknown key {key!r}" + (f" ({hint})" if hint else ""))
    ignored = _HTTP_ONLY if spec.command is not None else _STDIO_ONLY
    for key in ignored:
        if getattr(spec, key):
            kind = "url" if key in _HTTP_ONLY else "command"
            lines.append(f"{where}: ignoring {key!r}, which only applies to `{kind}` servers")
    for table in ("env", "http_headers"):
        for key, value in getattr(spec, table).items():
            if secret_value(value):
                lines.append(
                    f"{where}: {table}.{key} holds what looks like a secret written into the "
                    f'config file; keep it in the environment and write "${{VARIABLE}}" instead'
                )
    return lines


def expand(value: str, environ: Mapping[str, str], where: str) -> str:
    """``$NAME`` and ``${NAME}`` replaced from ``environ``; ``$$`` is one ``$``."""

    def replace(match: re.Match[str]) -> str:
        if match["dollar"]:
            return "$"
        name = match["name"] or match["braced"]
        if match["braced"] is not None and (not match["close"] or not _NAME.fullmatch(name)):
            raise McpSetupError(
                f"{where}: {match[0]!r} is not a variable reference (write $$ for a literal $)"
            )
        if name not in environ:
            raise McpSetupError(
                f"{where} uses ${name}, which is not set in kodo's environment "
                "(set it, or write $$ for a literal $)"
            )
        return environ[name]

    return _REFERENCE.sub(replace, value)


def server_env(spec: McpServer, environ: Mapping[str, str]) -> dict[str, str]:
    """A stdio server's whole environment: the safe basics, the ``env_vars`` kodo has, then
    ``env`` with its references expanded."""
    env = {key: environ[key] for key in _SAFE_ENV if key in environ}
    for entry in spec.env_vars:
        ref = entry if isinstance(entry, EnvVarRef) else EnvVarRef(name=entry)
        if ref.source == "remote":
            raise McpSetupError(
                f'env_vars: {ref.name} has source = "remote", and kodo has no remote '
                "environment to read it from"
            )
        if ref.name in environ:
            env[ref.name] = environ[ref.name]
    for key, value in spec.env.items():
        env[key] = expand(value, environ, f"env.{key}")
    return env


def server_headers(spec: McpServer, environ: Mapping[str, str]) -> dict[str, str]:
    """The HTTP headers for a ``url`` server; an unset ``bearer_token_env_var`` is an error."""
    headers = {k: expand(v, environ, f"http_headers.{k}") for k, v in spec.http_headers.items()}
    for header, variable in spec.env_http_headers.items():
        if environ.get(variable):  # as in Codex: sent only when set and not empty
            headers[header] = environ[variable]
    if spec.bearer_token_env_var is not None:
        token = environ.get(spec.bearer_token_env_var, "")
        if not token:
            raise McpSetupError(
                f"bearer_token_env_var names {spec.bearer_token_env_var}, which is not set "
                "(or empty) in kodo's environment"
            )
        headers["Authorization"] = f"Bearer {token}"
    return headers


def server_cwd(spec: McpServer, session_cwd: Path) -> Path:
    """Where a stdio server starts: ``cwd`` (relative to the session's folder), else that
    folder."""
    if spec.cwd is None:
        return session_cwd
    path = session_cwd / Path(spec.cwd).expanduser()
    if not path.is_dir():
        raise McpSetupError(f"cwd {spec.cwd!r} is not a directory")
    return path
