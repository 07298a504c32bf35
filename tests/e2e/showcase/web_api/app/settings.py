"""Settings from the environment, with development defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    secret_key: bytes
    token_ttl_s: int = 3600


def load_settings() -> Settings:
    """APP_SECRET_KEY signs tokens; without it a random key is used, so tokens die on restart."""
    key = os.environ.get("APP_SECRET_KEY")
    return Settings(
        secret_key=key.encode() if key else secrets.token_bytes(32),
        token_ttl_s=int(os.environ.get("APP_TOKEN_TTL_S", "3600")),
    )
