"""Which project folders the person trusts to configure kodo.

A workspace's ``.kodo/config.toml`` comes with the repository, so it may be written by anyone.
Until the person trusts the project, only keys that cannot weaken the sandbox, run anything on
the host or send the API key elsewhere are taken from it (``SAFE_PROJECT_KEYS``); the rest are
withheld and named. Trust is recorded per project root together with the SHA-256 of the config
file, so a trusted project whose config later changes is untrusted again until asked.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Keys that only tune how the model is driven or how much it is shown. Everything else
# (sandbox_mode, network, network_allow, network_access, hidden_paths, writable_roots,
# approval_policy, env_allow, limits, mcp_servers, provider, base_url, api_key_env, model,
# profile, ...) needs trust.
SAFE_PROJECT_KEYS = frozenset(
    {
        "temperature",
        "max_output_tokens",
        "tool_call_format",
        "tool_profile",
        "max_nudges",
        "max_turns",
        "token_budget",
        "context_window",
        "auto_compact_ratio",
        "tool_output_max_bytes",
        "shell_timeout_ms",
    }
)
# Keys a project never sets, trusted or not: approval rules decide what runs without asking,
# clusters where jobs run on the person's allocation.
USER_ONLY_KEYS = frozenset({"approval", "clusters"})
TRUST_FILE = "trusted_projects.json"
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _shown(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) else ascii(key)


def project_config_path(root: Path) -> Path:
    return root / ".kodo" / "config.toml"


@dataclass(frozen=True)
class ProjectConfig:
    """A project's config file as read: its parsed data and the hash trust is bound to."""

    root: Path
    data: dict[str, Any]
    digest: str | None  # None when the project has no config file

    def withheld(self) -> list[str]:
        """Dotted names of the keys that need trust (``profiles.NAME.KEY`` inside profiles),
        quoted where a key holds anything but plain name characters: they reach the terminal."""
        plain = SAFE_PROJECT_KEYS | USER_ONLY_KEYS | {"profiles"}
        names = [_shown(k) for k in self.data if k not in plain]
        profiles = self.data.get("profiles")
        for name, table in (profiles if isinstance(profiles, dict) else {}).items():
            if isinstance(table, dict):
                names += [
                    f"profiles.{_shown(name)}.{_shown(k)}"
                    for k in table
                    if k not in SAFE_PROJECT_KEYS | USER_ONLY_KEYS
                ]
            else:
                names.append(f"profiles.{_shown(name)}")
        if "profiles" in self.data and not isinstance(profiles, dict):
            names.append("profiles")
        return sorted(names)

    def user_only(self) -> list[str]:
        """``USER_ONLY_KEYS`` the file sets anyway, at the top or in a profile."""
        tables = self.data.get("profiles")
        inner = list((tables if isinstance(tables, dict) else {}).values())
        found = {k for table in [self.data, *inner] if isinstance(table, dict) for k in table}
        return sorted(found & USER_ONLY_KEYS)

    def applied(self, trusted: bool) -> dict[str, Any]:
        """What the project may set: everything but ``USER_ONLY_KEYS`` when trusted, only
        ``SAFE_PROJECT_KEYS`` when not; profiles filtered the same way."""

        def keep(key: str) -> bool:
            return key not in USER_ONLY_KEYS if trusted else key in SAFE_PROJECT_KEYS

        out = {k: v for k, v in self.data.items() if keep(k) and k != "profiles"}
        tables = self.data.get("profiles")
        profiles = {
            name: {k: v for k, v in table.items() if keep(k)}
            for name, table in (tables if isinstance(tables, dict) else {}).items()
            if isinstance(table, dict)
        }
        if profiles:
            out["profiles"] = profiles
        return out


class TrustStore:
    """``$KODO_HOME/trusted_projects.json``: project root -> the config hash that was trusted."""

    def __init__(self, home: Path) -> None:
        self.path = home / TRUST_FILE

    def entries(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # an unreadable store trusts nothing; `kodo trust` rewrites it
        projects = data.get("projects") if isinstance(data, dict) else None
        return projects if isinstance(projects, dict) else {}

    def trusts(self, project: ProjectConfig) -> bool:
        entry = self.entries().get(str(project.root))
        return isinstance(entry, dict) and entry.get("config_sha256") == project.digest

    def trust(self, project: ProjectConfig) -> None:
        entries = self.entries()
        entries[str(project.root)] = {
            "config_sha256": project.digest,
            "trusted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        self._write(entries)

    def untrust(self, root: Path) -> bool:
        entries = self.entries()
        if entries.pop(str(root), None) is None:
            return False
        self._write(entries)
        return True

    def _write(self, entries: dict[str, dict[str, Any]]) -> None:
        """Atomically, so a crash never leaves a half-written store."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".trust-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"projects": entries}, f, indent=2, sort_keys=True)
                f.write("\n")
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
