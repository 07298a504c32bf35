"""The environment commands see: the host's, minus anything that looks like a secret."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping

_SECRET_NAMES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
_SECRET_PATTERNS = ("*_KEY", "*_TOKEN", "*_SECRET", "*PASSWORD*")


def is_secret(name: str) -> bool:
    upper = name.upper()
    return upper in _SECRET_NAMES or any(fnmatch.fnmatchcase(upper, p) for p in _SECRET_PATTERNS)


def scrubbed_env(
    allow: Iterable[str] = (), base: Mapping[str, str] | None = None
) -> dict[str, str]:
    keep = set(allow)
    source = os.environ if base is None else base
    return {k: v for k, v in source.items() if k in keep or not is_secret(k)}
