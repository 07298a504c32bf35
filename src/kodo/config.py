"""One typed configuration object, merged from defaults, config files, a profile, env and flags.

Precedence, lowest first: built-in defaults, ``$KODO_HOME/config.toml``, the project's
``.kodo/config.toml``, the selected profile (``[profiles.NAME]`` in either file), ``KODO_*``
environment variables, ``--config KEY=VALUE`` overrides, then explicit CLI flags.
API keys are never stored here: only the *name* of the variable that holds one.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Provider = Literal["openai", "openai-chat", "anthropic", "ollama"]
SandboxMode = Literal["read-only", "workspace-write", "danger-full-access"]
ApprovalPolicy = Literal["untrusted", "on-failure", "on-request", "never"]

DEFAULT_HIDDEN_PATHS = [
    "~/.ssh",
    "~/.aws",
    "~/.config/gcloud",
    "~/.azure",
    "~/.kube",
    "~/.docker",
    "~/.netrc",
    "~/.git-credentials",
]


class ConfigError(Exception):
    """A config file or override that cannot be used; the message says where and why."""


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")
    memory_mb: int | None = None
    cpu_seconds: int | None = None
    max_processes: int | None = None


class McpServer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    url: str | None = None


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = "gpt-5"
    provider: Provider = "openai"
    base_url: str | None = None
    api_key_env: str | None = None  # name of the env var holding the key; provider default if unset
    request_timeout_s: float = 600.0
    max_retries: int = 5

    max_turns: int = 100
    token_budget: int | None = None  # total input+output tokens for one run
    tool_output_max_bytes: int = 16_000
    shell_timeout_ms: int = 120_000

    sandbox_mode: SandboxMode = "workspace-write"
    network_access: bool = False
    approval_policy: ApprovalPolicy = "never"
    writable_roots: list[str] = Field(default_factory=list)
    hidden_paths: list[str] = Field(default_factory=lambda: list(DEFAULT_HIDDEN_PATHS))
    env_allow: list[str] = Field(default_factory=list)  # secret-looking vars to keep anyway
    limits: Limits = Field(default_factory=Limits)

    context_window: int | None = None
    auto_compact_ratio: float = 0.85
    prices: dict[str, dict[str, float]] = Field(default_factory=dict)  # model -> {input, output}
    mcp_servers: dict[str, McpServer] = Field(default_factory=dict)

    profile: str | None = None
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)


def kodo_home() -> Path:
    return Path(os.environ.get("KODO_HOME") or Path.home() / ".kodo")


_ENV_KEYS = {
    "KODO_MODEL": "model",
    "KODO_PROVIDER": "provider",
    "KODO_BASE_URL": "base_url",
    "KODO_PROFILE": "profile",
}


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _parse_override(item: str) -> tuple[list[str], Any]:
    """``a.b=VALUE``: VALUE is read as TOML when it parses (numbers, booleans, lists), else text."""
    if "=" not in item:
        raise ConfigError(f"--config {item!r}: expected KEY=VALUE")
    key, raw = item.split("=", 1)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip().split("."), value


def flags_from_args(args: Any) -> dict[str, Any]:
    """The config values the command line sets (`kodo exec` and the shell share these flags);
    ``--full-auto`` is `workspace-write` plus `on-failure` unless either is given explicitly."""
    flags: dict[str, Any] = {
        "model": args.model,
        "provider": args.provider,
        "base_url": args.base_url,
        "max_turns": getattr(args, "max_turns", None),
        "sandbox_mode": args.sandbox,
        "network_access": args.network,
        "approval_policy": args.ask_for_approval,
    }
    if args.full_auto:
        flags["sandbox_mode"] = flags["sandbox_mode"] or "workspace-write"
        flags["approval_policy"] = flags["approval_policy"] or "on-failure"
    return flags


def load_config(
    cwd: Path,
    *,
    overrides: list[str] | None = None,
    flags: dict[str, Any] | None = None,
    profile: str | None = None,
) -> Config:
    files = [kodo_home() / "config.toml", cwd / ".kodo" / "config.toml"]
    data: dict[str, Any] = {}
    for path in files:
        data = _merge(data, _read_toml(path))
    for var, key in _ENV_KEYS.items():
        if os.environ.get(var):
            data[key] = os.environ[var]
    for item in overrides or []:
        keys, value = _parse_override(item)
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    chosen = profile or data.get("profile")
    if chosen:
        profiles = data.get("profiles", {})
        if chosen not in profiles:
            known = ", ".join(sorted(profiles)) or "none defined"
            raise ConfigError(f"profile {chosen!r} not found (known: {known})")
        data = _merge(data, profiles[chosen])
        data["profile"] = chosen
    data = _merge(data, {k: v for k, v in (flags or {}).items() if v is not None})
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration: {problems}") from exc
