"""One typed configuration object, merged from defaults, config files, a profile, env and flags.

Precedence, lowest first: built-in defaults, ``$KODO_HOME/config.toml``, the project's
``.kodo/config.toml`` (only its harmless keys until the person trusts the project: see
``kodo.trust``), the selected profile (``[profiles.NAME]`` in either file), ``KODO_*``
environment variables, ``--config KEY=VALUE`` overrides, then explicit CLI flags.
API keys are never stored here: only the *name* of the variable that holds one.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from kodo.home import kodo_home_path
from kodo.jobs.spec import Cluster
from kodo.mcp.spec import McpServer
from kodo.records import Problem, RecordError, fields_of, read, spec
from kodo.trust import ProjectConfig, TrustStore, project_config_path

Provider = Literal["openai", "openai-chat", "anthropic", "ollama", "local"]
ToolCallFormat = Literal["auto", "native", "text"]
ToolProfile = Literal["full", "compact"]

# The model each provider uses when none is named; "local" is the embedded GGUF model.
DEFAULT_MODELS: dict[str, str] = {
    "openai": "gpt-5",
    "anthropic": "claude-sonnet-4-5",
    "ollama": "qwen2.5-coder",
    "openai-chat": "default",
    "local": "qwen2.5-coder-1.5b-instruct-q4_k_m",
}
SandboxMode = Literal["read-only", "workspace-write", "danger-full-access"]
ApprovalPolicy = Literal["untrusted", "on-failure", "on-request", "never"]
NetworkMode = Literal["off", "registries", "on"]

# Where common tools keep credentials (keys, tokens, passwords, session cookies). Only the
# file is listed where its folder holds things commands need (caches, other settings).
DEFAULT_HIDDEN_PATHS = [
    # ssh, gpg, cloud providers, clusters, containers
    "~/.ssh",
    "~/.gnupg",
    "~/.aws",
    "~/.config/gcloud",
    "~/.azure",
    "~/.oci",
    "~/.kube",
    "~/.docker",
    "~/.config/containers/auth.json",
    "~/.terraform.d/credentials.tfrc.json",
    "~/.vault-token",
    "~/.config/rclone/rclone.conf",
    "~/.s3cfg",
    "~/.boto",
    "~/.databrickscfg",
    "~/.kaggle/kaggle.json",
    # git hosting and generic stores
    "~/.netrc",
    "~/.git-credentials",
    "~/.config/git/credentials",
    "~/.config/gh",
    "~/.config/hub",
    "~/.config/glab-cli",
    "~/.password-store",
    "~/.local/share/keyrings",
    "~/.pgpass",
    "~/.my.cnf",
    # package registries
    "~/.pypirc",
    "~/.pip/pip.conf",
    "~/.config/pip/pip.conf",
    "~/.npmrc",
    "~/.yarnrc",
    "~/.yarnrc.yml",
    "~/.cargo/credentials",
    "~/.cargo/credentials.toml",
    "~/.gem/credentials",
    "~/.m2/settings.xml",
    "~/.m2/settings-security.xml",
    "~/.gradle/gradle.properties",
    "~/.config/composer/auth.json",
    "~/.composer/auth.json",
    # model hubs and other coding agents
    "~/.cache/huggingface/token",
    "~/.cache/huggingface/stored_tokens",
    "~/.huggingface/token",
    "~/.codex/auth.json",
    "~/.claude/.credentials.json",
    "~/.claude.json",
    "~/.gemini/oauth_creds.json",
    "~/.aider/oauth-keys.env",
    "~/.config/github-copilot",
    # browser profiles (session cookies)
    "~/.mozilla",
    "~/.config/google-chrome",
    "~/.config/chromium",
    "~/.config/BraveSoftware",
]


COMPACT_OUTPUT_BYTES = 4_000


class ConfigError(Exception):
    """A config file or override that cannot be used; the message says where and why."""


@dataclass(kw_only=True)
class Limits:
    EXTRA: ClassVar[str] = "forbid"
    memory_mb: int | None = None
    cpu_seconds: int | None = None
    max_processes: int | None = None
    file_size_mb: int | None = spec(None, gt=0)  # largest file a command may write
    # The sandbox's /tmp and /dev/shm live in memory; None: a quarter of the memory each.
    tmp_size_mb: int | None = spec(None, gt=0)
    shm_size_mb: int | None = spec(None, gt=0)


@dataclass(kw_only=True)
class ApprovalRule:
    """``[[approval.rules]]``: what to do with commands whose words match ``pattern``
    (``*`` in a word matches any characters, a ``**`` word any number of words)."""

    EXTRA: ClassVar[str] = "forbid"
    pattern: list[str] = spec(min_length=1)
    decision: Literal["allow", "ask", "deny"]


@dataclass(kw_only=True)
class Approval:
    EXTRA: ClassVar[str] = "forbid"
    rules: list[ApprovalRule] = field(default_factory=list)


@dataclass(kw_only=True)
class Config:
    EXTRA: ClassVar[str] = "forbid"

    model: str = ""  # empty: the provider's default (DEFAULT_MODELS)
    provider: Provider = "openai"
    # True when no provider was configured and none was implied by an API key in the
    # environment, so kodo fell back to the embedded local model.
    provider_defaulted: bool = False
    base_url: str | None = None
    api_key_env: str | None = None  # name of the env var holding the key; provider default if unset
    request_timeout_s: float = 600.0
    max_retries: int = 5
    # How tool calls travel: "native" (the API's tools parameter), "text" (described in the
    # system prompt, parsed from the reply; for servers that reject `tools`), or "auto"
    # (native, plus calls a model wrote as text).
    tool_call_format: ToolCallFormat = "auto"
    # "compact": two short tools and a short prompt for small models; default for "local".
    tool_profile: ToolProfile | None = None
    max_nudges: int = 2  # replies that neither call a tool nor finish, answered with a nudge
    temperature: float | None = None  # None: the server's default (0 for the local model)
    max_output_tokens: int | None = None  # per reply; None: the server's default (local: 2048)
    local_threads: int | None = None  # CPU threads for the embedded model (default: all cores)

    max_turns: int = 100
    token_budget: int | None = None  # total input+output tokens for one run
    tool_output_max_bytes: int = 16_000
    shell_timeout_ms: int = 120_000

    sandbox_mode: SandboxMode = "workspace-write"
    network_access: bool = False  # the older switch: true is network = "on"
    # "registries": only the package indexes of the person's pip, npm and uv configuration and
    # network_allow, through kodo's filtering proxy. None: "on" if network_access, else "off".
    network: NetworkMode | None = None
    network_allow: list[str] = field(default_factory=list)  # hosts, host:port or URLs
    approval_policy: ApprovalPolicy = "never"
    writable_roots: list[str] = field(default_factory=list)
    hidden_paths: list[str] = field(default_factory=lambda: list(DEFAULT_HIDDEN_PATHS))
    env_allow: list[str] = field(default_factory=list)  # secret-looking vars to keep anyway
    # Commands run in the person's login environment, captured once per session from their
    # login shell; false: in kodo's own environment, no profile read.
    shell_login: bool = True
    limits: Limits = field(default_factory=Limits)
    approval: Approval = field(default_factory=Approval)  # only from $KODO_HOME/config.toml

    context_window: int | None = None
    auto_compact_ratio: float = 0.85
    prices: dict[str, dict[str, float]] = field(default_factory=dict)  # model -> {input, output}
    mcp_servers: dict[str, McpServer] = field(default_factory=dict)
    clusters: dict[str, Cluster] = field(default_factory=dict)  # only from $KODO_HOME

    profile: str | None = None
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def network_mode(self) -> NetworkMode:
        return self.network or ("on" if self.network_access else "off")

    @property
    def profile_name(self) -> ToolProfile:
        if self.tool_profile is not None:
            return self.tool_profile
        return "compact" if self.provider == "local" else "full"


def cost_of(
    prices: dict[str, dict[str, float]], model: str | None, tokens_in: int, tokens_out: int
) -> float | None:
    """Dollars spent, from ``prices`` in USD per million tokens; None when the model has none.
    The one formula behind the shell's status line and batch reports."""
    price = prices.get(model or "")
    if not price:
        return None
    return (tokens_in * price.get("input", 0.0) + tokens_out * price.get("output", 0.0)) / 1e6


def kodo_home() -> Path:
    return Path(kodo_home_path())


_ENV_KEYS = {
    "KODO_MODEL": "model",
    "KODO_PROVIDER": "provider",
    "KODO_BASE_URL": "base_url",
    "KODO_PROFILE": "profile",
}


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return _parse_toml(path.read_bytes(), path)


def _parse_toml(raw: bytes, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError:  # a repository's file can nest arrays past what the reader follows
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None


def read_project_config(cwd: Path) -> ProjectConfig:
    """The project's ``.kodo/config.toml``, read once so its data and hash always agree. When
    the project folder is the person's home, that file is their own config, not a project's."""
    root = cwd.resolve()
    path = project_config_path(root)
    own = kodo_home() / "config.toml"
    if not path.is_file() or os.path.realpath(path) == os.path.realpath(own):
        return ProjectConfig(root, {}, None)
    raw = path.read_bytes()
    return ProjectConfig(root, _parse_toml(raw, path), hashlib.sha256(raw).hexdigest())


def project_trust(cwd: Path) -> tuple[ProjectConfig, bool]:
    """The project's config and whether the person trusts it as it is now."""
    project = read_project_config(cwd)
    if project.digest is None:
        return project, True
    return project, TrustStore(kodo_home()).trusts(project)


def untrusted_warning(cwd: Path) -> str | None:
    """One line naming what a project config wanted to set but does not, or None."""
    project, trusted = project_trust(cwd)
    withheld = [] if trusted else project.withheld()
    never = project.user_only()
    parts = []
    if withheld:
        parts.append(
            f"ignoring settings from the untrusted {project_config_path(project.root)}: "
            f"{', '.join(withheld)} (review the file, then `kodo trust` to apply them)"
        )
    if never:
        parts.append(f"{', '.join(never)}: only read from your own config, never a project's")
    return "kodo: " + "; ".join(parts) if parts else None


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
        "network": "on" if args.network else None,
        "approval_policy": args.ask_for_approval,
    }
    if args.full_auto:
        flags["sandbox_mode"] = flags["sandbox_mode"] or "workspace-write"
        flags["approval_policy"] = flags["approval_policy"] or "on-failure"
    return flags


def _provider_from_environment() -> str:
    """With no provider configured, a key (or a server URL) in the environment says which
    service the person uses; with neither, the embedded local model works offline."""
    if any(os.environ.get(v, "").strip() for v in ("OPENAI_API_KEY", "OPENAI_BASE_URL")):
        return "openai"
    if os.environ.get("ANTHROPIC_API_KEY", "").strip():
        return "anthropic"
    return "local"


def load_config(
    cwd: Path,
    *,
    overrides: list[str] | None = None,
    flags: dict[str, Any] | None = None,
    profile: str | None = None,
) -> Config:
    project, trusted = project_trust(cwd)
    user_path = kodo_home() / "config.toml"
    # Each layer, lowest first; kept so an error can name the file and the key that set it.
    files: list[tuple[str, dict[str, Any]]] = [
        (str(user_path), _read_toml(user_path)),
        (str(project_config_path(project.root)), project.applied(trusted)),
    ]
    env = [
        (f"environment variable {var}", {key: os.environ[var]})
        for var, key in _ENV_KEYS.items()
        if os.environ.get(var)
    ]
    cli = [_override_layer(item) for item in overrides or []]
    data = _stacked([*files, *env, *cli])  # the profile and where it is defined can come from any
    chosen = profile or data.get("profile")
    selected: list[tuple[str, dict[str, Any]]] = []
    if chosen:
        profiles = data.get("profiles", {})
        if chosen not in profiles:
            known = ", ".join(sorted(profiles)) or "none defined"
            raise ConfigError(f"profile {chosen!r} not found (known: {known})")
        selected = [(f"[profiles.{chosen}]", profiles[chosen])]
    layers = [*files, *selected, *env, *cli]
    data = _stacked(layers)
    if chosen:
        data["profile"] = chosen
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    data = _merge(data, given)
    layers.append(("the command line", given))
    if not data.get("provider"):
        data["provider"] = _provider_from_environment()
        data["provider_defaulted"] = data["provider"] == "local"
    if not data.get("model"):
        data["model"] = DEFAULT_MODELS.get(str(data["provider"]), "")
    compact = data.get("tool_profile") == "compact" or (
        data.get("tool_profile") is None and data["provider"] == "local"
    )
    if compact:  # a small model's prefill time grows with every byte of output it is shown
        data.setdefault("tool_output_max_bytes", COMPACT_OUTPUT_BYTES)
    if data["provider"] == "local":  # short tool descriptions we wrote beat the chat template's
        data.setdefault("tool_call_format", "text")
    try:
        return read(Config, data)
    except RecordError as exc:
        problems = "; ".join(_explain(problem, layers) for problem in exc.problems)
        raise ConfigError(f"invalid configuration: {problems}") from exc


def _stacked(layers: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The layers merged in order, each later one winning key by key."""
    data: dict[str, Any] = {}
    for _, layer in layers:
        data = _merge(data, copy.deepcopy(layer))
    return data


def _override_layer(item: str) -> tuple[str, dict[str, Any]]:
    keys, value = _parse_override(item)
    return f"--config {item}", _nested(keys, value)


def _nested(keys: list[str], value: Any) -> dict[str, Any]:
    for key in reversed(keys):
        value = {key: value}
    return value


def _source(loc: tuple[Any, ...], layers: list[tuple[str, dict[str, Any]]]) -> str | None:
    """The last layer that set the value at ``loc``: the one that won."""
    for label, layer in reversed(layers):
        node: Any = layer
        for part in loc:
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        else:
            return label
    return None


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where ``loc`` ends (inside ``[limits]``, an MCP server, ...)."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(model, type) and dataclasses.is_dataclass(model):
            model = next((f.hint for f in fields_of(model) if f.name == part), None)
        elif typing.get_origin(model) is dict:
            model = typing.get_args(model)[1]  # ``part`` is a name: [mcp_servers.NAME]
        else:
            return []
    if isinstance(model, type) and dataclasses.is_dataclass(model):
        return [f.name for f in fields_of(model) if f.name != "provider_defaulted"]
    return []


def _explain(problem: Problem, layers: list[tuple[str, dict[str, Any]]]) -> str:
    """One problem: where it was set, the key, and for an unknown key the nearest known one."""
    loc = problem.loc
    key = problem.where
    where = _source(loc, layers)
    prefix = f"{where}: " if where else ""
    if problem.kind != "extra":
        return f"{prefix}{key}: {problem.message}"
    near = difflib.get_close_matches(str(loc[-1]), _known_keys(loc), n=1, cutoff=0.6)
    hint = f" (did you mean {'.'.join([*map(str, loc[:-1]), near[0]])!r}?)" if near else ""
    return f"{prefix}unknown key {key!r}{hint}"
