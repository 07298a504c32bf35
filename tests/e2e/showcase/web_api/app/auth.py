"""Password hashing with scrypt and HMAC-SHA256 signed, expiring bearer tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **SCRYPT)
    return hmac.compare_digest(candidate, bytes.fromhex(digest))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(payload: str, key: bytes) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def issue_token(username: str, key: bytes, ttl_s: int) -> str:
    claims = {"sub": username, "exp": int(time.time()) + ttl_s}
    payload = _b64(json.dumps(claims).encode())
    return f"{payload}.{_sign(payload, key)}"


def read_token(token: str, key: bytes) -> str | None:
    """The username of a genuine, unexpired token; None for anything else."""
    payload, _, signature = token.partition(".")
    if not hmac.compare_digest(signature.encode(), _sign(payload, key).encode()):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    if not isinstance(claims, dict) or claims.get("exp", 0) <= time.time():
        return None
    return claims.get("sub")
