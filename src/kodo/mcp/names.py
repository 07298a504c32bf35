"""Tool names the model sees: ``SERVER__tool``, limited to what every provider accepts."""

from __future__ import annotations

import hashlib
import re

MAX_NAME = 64
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def qualified_name(server: str, tool: str) -> str:
    """``server__tool`` with unsafe characters replaced; a long name keeps a hash of the full
    one at its end, so two long names that share a prefix stay distinct."""
    name = _UNSAFE.sub("_", f"{server}__{tool}")
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(f"{server}__{tool}".encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"


def unique_name(server: str, tool: str, taken: set[str]) -> str:
    """Like ``qualified_name``, but never one already in ``taken`` (``a.b`` and ``a_b`` both
    sanitise to ``a_b``)."""
    name = qualified_name(server, tool)
    if name not in taken:
        return name
    digest = hashlib.sha1(f"{server}\0{tool}".encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"
