"""Which package indexes ``network = "registries"`` lets the sandbox reach: those the person's
own pip, uv and npm configuration names (their user and system files and their environment,
never the workspace's ``.npmrc`` or ``pyproject.toml``, which anyone can write), or each tool's
public default when it names none.

pip's and npm's user files are hidden in the sandbox (they may hold tokens), so the indexes read
from them are passed to commands as ``PIP_*`` and ``npm_config_registry`` variables instead,
without any user name or password: credentials never enter the sandbox.
"""

from __future__ import annotations

import configparser
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PYPI = ("pypi.org", "files.pythonhosted.org")
NPM = ("registry.npmjs.org",)


@dataclass
class Registries:
    hosts: list[str] = field(default_factory=list)  # allow-list entries, as URLs or hosts
    env: dict[str, str] = field(default_factory=dict)  # index settings for sandboxed commands


def _urls(value: Any) -> list[str]:
    """http(s) URLs in a setting: one, several separated by white space, or a list; uv's
    ``UV_INDEX`` entries may be ``name=URL``."""
    items = value if isinstance(value, list) else str(value).split()
    out = []
    for item in items:
        text = str(item.get("url", "") if isinstance(item, dict) else item)
        text = text.partition("=")[2] if "=" in text.partition("://")[0] else text
        if text.startswith(("http://", "https://")):
            out.append(text)
    return out


def without_credentials(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _ini(path: Path) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, configparser.Error):
        return None
    return parser


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _config_home(environ: Mapping[str, str], home: Path) -> Path:
    return Path(environ.get("XDG_CONFIG_HOME") or home / ".config")


def _pip(
    environ: Mapping[str, str], home: Path, etc: Path
) -> tuple[list[str], list[str], dict[str, str]]:
    """(replacement indexes, extra sources, variables for the sandbox)."""
    dirs = environ.get("XDG_CONFIG_DIRS") or str(etc / "xdg")
    files = [etc / "pip.conf", *(Path(d) / "pip" / "pip.conf" for d in dirs.split(":") if d)]
    files += [home / ".pip" / "pip.conf", _config_home(environ, home) / "pip" / "pip.conf"]
    if environ.get("PIP_CONFIG_FILE"):
        files.append(Path(environ["PIP_CONFIG_FILE"]))
    settings: dict[str, list[str]] = {}
    for path in files:  # later files win, as in pip
        parser = _ini(path)
        if parser is None:
            continue
        for section in parser.sections():
            for key in ("index-url", "extra-index-url", "find-links"):
                if parser.has_option(section, key):
                    settings[key] = _urls(parser.get(section, key))
    env = {
        f"PIP_{key.upper().replace('-', '_')}": " ".join(map(without_credentials, urls))
        for key, urls in settings.items()
        if urls
    }
    main = _urls(environ.get("PIP_INDEX_URL", "")) or settings.get("index-url", [])
    extra = settings.get("extra-index-url", []) + settings.get("find-links", [])
    extra += _urls(environ.get("PIP_EXTRA_INDEX_URL", "")) + _urls(
        environ.get("PIP_FIND_LINKS", "")
    )
    return main, extra, env


def _uv(environ: Mapping[str, str], home: Path, etc: Path) -> tuple[list[str], list[str]]:
    """(replacement indexes, extra sources)."""
    files = [etc / "uv" / "uv.toml", _config_home(environ, home) / "uv" / "uv.toml"]
    if environ.get("UV_CONFIG_FILE"):
        files.append(Path(environ["UV_CONFIG_FILE"]))
    main: list[str] = []
    extra: list[str] = []
    for path in files:
        data = _toml(path)
        pip = data.get("pip")
        tables: list[dict[str, Any]] = [data, pip if isinstance(pip, dict) else {}]
        for table in tables:
            main += _urls(table.get("index-url", []))
            extra += _urls(table.get("extra-index-url", [])) + _urls(table.get("find-links", []))
        for index in data.get("index", []) if isinstance(data.get("index"), list) else []:
            if isinstance(index, dict):
                (main if index.get("default") else extra).extend(_urls([index]))
    main += _urls(environ.get("UV_INDEX_URL", "")) + _urls(environ.get("UV_DEFAULT_INDEX", ""))
    extra += _urls(environ.get("UV_EXTRA_INDEX_URL", "")) + _urls(environ.get("UV_INDEX", ""))
    extra += _urls(environ.get("UV_FIND_LINKS", ""))
    return main, extra


def _npmrc(path: Path) -> dict[str, str]:
    out = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    for line in lines:
        key, eq, value = line.strip().partition("=")
        if eq and not key.startswith(("#", ";", "//")):
            out[key.strip()] = value.strip().strip("\"'")
    return out


def _npm(environ: Mapping[str, str], home: Path, etc: Path) -> tuple[list[str], dict[str, str]]:
    """(registries, variables for the sandbox)."""
    lower = {k.lower(): v for k, v in environ.items()}
    files = [Path(lower.get("npm_config_globalconfig") or etc / "npmrc")]
    files.append(Path(lower.get("npm_config_userconfig") or home / ".npmrc"))
    settings: dict[str, str] = {}
    for path in files:
        settings.update(_npmrc(path))
    named = [v for k, v in settings.items() if k == "registry" or k.endswith(":registry")]
    registries = _urls(named) + _urls(lower.get("npm_config_registry", ""))
    if "registry" not in settings and "npm_config_registry" not in lower:
        registries += [f"https://{host}/" for host in NPM]
    env = {}
    if _urls(settings.get("registry", "")):
        env["npm_config_registry"] = without_credentials(settings["registry"])
    return registries, env


def discover(
    environ: Mapping[str, str] | None = None, home: Path | None = None, etc: Path = Path("/etc")
) -> Registries:
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    pip_main, pip_extra, pip_env = _pip(environ, home, etc)
    uv_main, uv_extra = _uv(environ, home, etc)
    npm, npm_env = _npm(environ, home, etc)
    python = pip_main + uv_main or [f"https://{host}/" for host in PYPI]
    if any(urlsplit(url).hostname == PYPI[0] for url in python):
        python.append(f"https://{PYPI[1]}/")  # where PyPI keeps the files its pages link to
    hosts = list(dict.fromkeys(python + pip_extra + uv_extra + npm))
    return Registries(hosts=hosts, env={**pip_env, **npm_env})
