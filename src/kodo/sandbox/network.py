"""The sandbox's network modes as commands see them: the proxy and its variables for
``network = "registries"``, and the note that tells the model, when a command failed for lack of
network, what the person can change (the model cannot change it itself)."""

from __future__ import annotations

import re

from kodo.config import Config
from kodo.sandbox.base import SandboxUnavailable
from kodo.sandbox.proxy import PROXY_URL, AllowList, RegistryProxy
from kodo.sandbox.registries import discover

# Local servers a command starts stay reachable directly, not through the proxy.
NO_PROXY = "localhost,127.0.0.1,::1"
PROXY_ENV = {
    **dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"), PROXY_URL),
    **dict.fromkeys(("NO_PROXY", "no_proxy"), NO_PROXY),
}

# What common tools print when they cannot reach the network (name resolution, no route, a
# refused proxy tunnel, kodo's own proxy refusing a host).
_OFFLINE = re.compile(
    r"Temporary failure in name resolution|Name or service not known|Could not resolve host"
    r"|nodename nor servname|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|Network is unreachable"
    r"|No address associated with hostname|Failed to establish a new connection"
    r"|Tunnel connection failed|CONNECT tunnel failed|kodo's sandbox proxy"
    r"|dns error|failed to lookup address",
    re.IGNORECASE,
)


def registry_proxy(config: Config) -> tuple[RegistryProxy, dict[str, str]] | None:
    """The proxy and the index settings to pass to commands (``Registries.env``), for
    ``network = "registries"``; None otherwise. A bad ``network_allow`` entry is an error, not
    a narrower list."""
    if config.network_mode != "registries":
        return None
    found = discover()
    try:
        allow = AllowList.parse([*found.hosts, *config.network_allow])
    except ValueError as exc:
        raise SandboxUnavailable(f"network_allow: {exc}") from None
    return RegistryProxy(allow), found.env


def lacks_network(config: Config, output: str) -> bool:
    """Whether a failed sandboxed command's output says it could not reach the network."""
    return config.network_mode != "on" and _OFFLINE.search(output) is not None


def network_hint(config: Config) -> str:
    """For the model: the network is the person's decision, and how they make it."""
    if config.network_mode == "registries":
        return (
            'this command needed a host that network = "registries" does not allow: the '
            "sandbox reaches only the package indexes in the person's pip, npm and uv "
            "configuration and their network_allow list. Ask the person to add the host "
            'with network_allow = ["HOST"] in ~/.kodo/config.toml, or to run kodo with '
            "--network; do not try to get around it."
        )
    return (
        "this command needed the network, and the sandbox has none. The person can allow "
        'package indexes only with network = "registries" in ~/.kodo/config.toml (or '
        "`-c network=registries`), or all network with --network. Ask them, or work without "
        "it (for example with packages already installed)."
    )
