"""One translation from HTTP answers and transport failures to ``ModelError``, shared by every
provider: what went wrong, where, whether another attempt can help, and what to do about it."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kodo.models.base import ModelError

_RETRYABLE_STATUS = {408, 409, 429}
_FATAL_ERROR_TYPES = {
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "insufficient_quota",
}
DETAIL_CHARS = 300


@dataclass(frozen=True)
class Endpoint:
    """What an error message needs to say where a request went; never holds the key itself."""

    provider: str
    base_url: str
    model: str
    key_env: str  # the variable a key is read from
    key_set: bool  # False when a placeholder key was sent to a local server
    timeout_s: float


def _error_object(body: object) -> dict[str, Any]:
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return inner
    return {}


def _detail(body: object, fallback: str) -> str:
    message = _error_object(body).get("message")
    if not isinstance(message, str) or not message:
        message = body if isinstance(body, str) and body.strip() else fallback
    message = " ".join(str(message).split())
    return message if len(message) <= DETAIL_CHARS else message[:DETAIL_CHARS] + "..."


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def status_error(
    status: int, body: object, headers: Mapping[str, str] | None, where: Endpoint, reason: str = ""
) -> ModelError:
    """An HTTP error answer; ``body`` is its parsed JSON, or its text when it is not JSON."""
    url = where.base_url
    detail = _detail(body, reason or "no details")
    error = _error_object(body)
    retry_after = parse_retry_after(headers)

    def fail(message: str, retryable: bool = False) -> ModelError:
        return ModelError(message, retryable=retryable, retry_after=retry_after, status=status)

    if status == 401:
        if not where.key_set:
            return fail(
                f"the server at {url} wants an API key (HTTP 401) and {where.key_env} is not set: "
                f"export {where.key_env}=... (or set api_key_env in config.toml)"
            )
        return fail(
            f"the API key was rejected (HTTP 401) by {url}: check {where.key_env}, or work "
            "offline with the embedded model: --provider local"
        )
    if status == 403:
        return fail(
            f"access denied (HTTP 403) by {url}: {detail}; check that the key in "
            f"{where.key_env} may use model {where.model!r}"
        )
    if status == 404:
        hint = (
            "kodo appends /v1/messages to the base URL"
            if where.provider == "anthropic"
            else "an OpenAI-compatible base URL usually ends in /v1"
        )
        return fail(
            f"not found (HTTP 404) at {url}: {detail}; check the model name {where.model!r} "
            f"and the base URL ({hint})"
        )
    if status == 429 and "insufficient_quota" in (error.get("code"), error.get("type")):
        return fail(f"no quota left (HTTP 429) for the key in {where.key_env} at {url}: {detail}")
    if status == 429:
        return fail(f"rate limited (HTTP 429) by {url}: {detail}", retryable=True)
    if status >= 500 or status in _RETRYABLE_STATUS:
        return fail(f"server error (HTTP {status}) at {url}: {detail}", retryable=True)
    return fail(f"the request was rejected (HTTP {status}) by {url}: {detail}")


def stream_error(body: object, where: Endpoint) -> ModelError:
    """An error event inside a stream that had started fine (an overloaded server, a bad
    request noticed late): retried unless its type says another attempt cannot help."""
    error = _error_object(body)
    kind = error.get("type") or error.get("code")
    return ModelError(
        f"{where.base_url} reported an error mid-answer: {_detail(body, 'no details')}",
        retryable=kind not in _FATAL_ERROR_TYPES,
    )


def _unreachable_hint(where: Endpoint) -> str:
    if where.provider == "ollama":
        return (
            f"is Ollama running? Start it with `ollama serve` and pull the model with "
            f"`ollama pull {where.model}`"
        )
    if where.provider == "local":
        return "the embedded model's server (KODO_LOCAL_URL) is gone; unset KODO_LOCAL_URL"
    return (
        "is the server running and the base URL right? Without network or a server, use the "
        "embedded model: --provider local (after `kodo model pull`)"
    )


def transport_error(exc: BaseException, where: Endpoint, *, mid_stream: bool) -> ModelError | None:
    """The ``ModelError`` for a failed connection, a timeout or a broken stream; None for
    anything else (a bug, which must not be retried as if the network had failed)."""
    if not isinstance(exc, OSError) and type(exc).__module__ != "http.client":
        return None
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if mid_stream:
        return ModelError(
            f"the stream from {where.base_url} broke off mid-answer ({reason})", retryable=True
        )
    if isinstance(exc, TimeoutError):
        return ModelError(
            f"no answer from {where.base_url} within {where.timeout_s:g} s (request_timeout_s)",
            retryable=True,
        )
    return ModelError(
        f"could not reach {where.base_url} ({reason}): {_unreachable_hint(where)}",
        retryable=True,
        quick=True,
    )


@contextmanager
def transport_errors(where: Endpoint, *, mid_stream: bool = False) -> Iterator[None]:
    """Re-raise socket, TLS and HTTP protocol failures as ``ModelError``; anything else passes
    untouched."""
    try:
        yield
    except Exception as exc:
        error = transport_error(exc, where, mid_stream=mid_stream)
        if error is None:
            raise
        raise error from exc
