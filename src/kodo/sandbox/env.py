"""The environment commands see: the host's, minus anything that looks like a secret, judged by
the variable's name and by its value (a token pasted into ``DATABASE_URL`` is still a token).
Inside the sandbox, variables that point at host services (agent sockets, the D-Bus buses, the
Docker daemon, the display) go too: those services are out of reach there, and the pointers
would only invite commands to try. ``env_allow`` overrides both.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

_ALWAYS_KEPT = frozenset({"PATH", "HOME", "PWD", "OLDPWD"})
_SECRET_NAMES = frozenset({"OPENAI_API_KEY", "ANTHROPIC_API_KEY"})
# Matched against the upper-cased name. AUTH is not AUTHOR (GIT_AUTHOR_NAME) unless it is
# AUTHORIZATION; PAT is a whole word (GITHUB_PAT, PAT_TOKEN) so PATH stays.
_SECRET_NAME = re.compile(
    r"_KEY$|API_?KEY|PRIVATE_?KEY|TOKEN$|SECRET|PASSWORD|PASSWD|PASSPHRASE|PWD|CREDENTIAL"
    r"|DSN|WEBHOOK|JWT|COOKIE|AUTH(?!OR(?!IZ))|(?:^|_)PAT(?:_|$)"
)
_SECRET_VALUE = re.compile(
    r"://[^/\s:@]*:[^/\s@]+@"  # user:password@ in a URL
    r"|\bsk-(?=[\w-]*\d)[\w-]{20,}"  # OpenAI, Anthropic (sk-ant-...), OpenRouter (sk-or-...)
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_\w{20,}"  # GitHub
    r"|\bglpat-[\w-]{20,}"  # GitLab
    r"|\bxox[abprs]-[\w-]{10,}"  # Slack
    r"|\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"  # AWS access key ids
    r"|\bhf_[A-Za-z0-9]{30,}"  # Hugging Face
    r"|\bAIza[\w-]{35}"  # Google API keys
    r"|\bnpm_[A-Za-z0-9]{36}|\bpypi-AgE[\w-]{50,}"  # package registries
    r"|\b[rs]k_live_[A-Za-z0-9]{20,}"  # Stripe
    r"|\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\."  # JWTs
    r"|-----BEGIN [A-Z0-9 ]*PRIVATE KEY"  # PEM and OpenSSH private keys
)
_HOST_POINTER_NAMES = frozenset(
    {
        "SSH_AGENT_PID",
        "GPG_AGENT_INFO",
        "DOCKER_HOST",
        "CONTAINER_HOST",
        "XDG_RUNTIME_DIR",
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "XAUTHORITY",
        "PULSE_SERVER",
        "PIPEWIRE_REMOTE",
        "KRB5CCNAME",
        "TMUX",
        "STY",
        "KITTY_LISTEN_ON",
        "NVIM",
        "NVIM_LISTEN_ADDRESS",
        "GIT_ASKPASS",
        "SSH_ASKPASS",
    }
)
# SSH_AUTH_SOCK, I3SOCK, *_SOCKET, DBUS_SESSION_BUS_ADDRESS, VSCODE_IPC_HOOK_CLI, ...
_HOST_POINTER = re.compile(r"SOCK(?:ET)?$|SOCK(?:ET)?_|_BUS_ADDRESS$|_IPC_|IPC_HOOK")


def is_secret(name: str, value: str = "") -> bool:
    """By name or by value. Host-service pointers are judged by value only (SSH_AUTH_SOCK names
    no secret and unsandboxed commands may use the agent)."""
    upper = name.upper()
    if upper in _ALWAYS_KEPT:
        return False
    if _SECRET_VALUE.search(value) is not None or upper in _SECRET_NAMES:
        return True
    return not is_host_pointer(upper) and _SECRET_NAME.search(upper) is not None


def secret_value(value: str) -> bool:
    """Whether ``value`` holds something shaped like a credential, whatever it is called."""
    return _SECRET_VALUE.search(value) is not None


def is_host_pointer(name: str) -> bool:
    """A variable that tells programs where a host service listens (socket, display, agent)."""
    upper = name.upper()
    return upper in _HOST_POINTER_NAMES or _HOST_POINTER.search(upper) is not None


def scrubbed_env(
    allow: Iterable[str] = (),
    base: Mapping[str, str] | None = None,
    *,
    sandboxed: bool = False,
) -> dict[str, str]:
    """``sandboxed``: drop the host-service pointers too (unneeded for unsandboxed commands,
    which may well use the person's ssh-agent)."""
    keep = set(allow)
    source = os.environ if base is None else base
    return {
        k: v
        for k, v in source.items()
        if k in keep or not (is_secret(k, v) or (sandboxed and is_host_pointer(k)))
    }
