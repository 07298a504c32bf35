"""One translation from SDK and transport exceptions to ``ModelError``, shared by every provider.

The ``openai`` and ``anthropic`` SDKs raise exceptions with the same names and attributes
(``status_code``, ``response``, ``body``), so they are told apart by those, not by class: one
mapper serves both and needs neither SDK imported.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kodo.models.base import ModelError

_SDK_MODULES = {"openai", "anthropic", "httpx", "httpx2", "httpcore", "httpcore2"}
_CONNECTION_CLASSES = {"APIConnectionError", "APITimeoutError"}
_TIMEOUT_CLASSES = {"APITimeoutError", "TimeoutException"}
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


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _from_sdk(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] in _SDK_MODULES


def _error_object(body: object) -> dict[str, Any]:
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return inner
    return {}


def _detail(exc: BaseException) -> str:
    message = _error_object(getattr(exc, "body", None)).get("message")
    if not isinstance(message, str) or not message:
        message = getattr(exc, "message", None) or str(exc)
    message = " ".join(str(message).split())
    return message if len(message) <= DETAIL_CHARS else message[:DETAIL_CHARS] + "..."


def parse_retry_after(headers: Any) -> float | None:
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


def _status_error(exc: BaseException, status: int, where: Endpoint) -> ModelError:
    url = where.base_url
    detail = _detail(exc)
    error = _error_object(getattr(exc, "body", None))
    kind = error.get("type") or error.get("code")
    response = getattr(exc, "response", None)
    retry_after = parse_retry_after(getattr(response, "headers", None))

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
            "the SDK appends /v1/messages to the base URL"
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
    if status >= 400:
        return fail(f"the request was rejected (HTTP {status}) by {url}: {detail}")
    # A status below 400 is an error event inside a stream that had started fine.
    return fail(
        f"{url} reported an error mid-answer: {detail}",
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


def to_model_error(exc: BaseException, where: Endpoint, *, mid_stream: bool) -> ModelError | None:
    """The ``ModelError`` for an SDK or transport exception; None for anything else (a bug)."""
    if not _from_sdk(exc):
        return None
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return _status_error(exc, status, where)
    names = _class_names(exc)
    transport = type(exc).__module__.split(".")[0].startswith("http")
    if names & _CONNECTION_CLASSES or transport:
        cause = exc.__cause__ or exc.__context__ or exc
        reason = " ".join(str(cause).split()) or type(cause).__name__
        if mid_stream:
            message = f"the stream from {where.base_url} broke off mid-answer ({reason})"
        elif names & _TIMEOUT_CLASSES:
            message = (
                f"no answer from {where.base_url} within {where.timeout_s:g} s (request_timeout_s)"
            )
        else:
            message = f"could not reach {where.base_url} ({reason}): {_unreachable_hint(where)}"
            return ModelError(message, retryable=True, quick=True)
        return ModelError(message, retryable=True)
    if "APIError" in names:
        kind = _error_object(getattr(exc, "body", None)).get("type")
        return ModelError(
            f"{where.base_url} reported an error mid-answer: {_detail(exc)}",
            retryable=kind not in _FATAL_ERROR_TYPES,
        )
    return ModelError(f"the {where.provider} SDK refused the request: {_detail(exc)}")


@contextmanager
def sdk_errors(where: Endpoint, *, mid_stream: bool = False) -> Iterator[None]:
    """Re-raise SDK and transport exceptions as ``ModelError``; anything else passes untouched."""
    try:
        yield
    except Exception as exc:
        error = to_model_error(exc, where, mid_stream=mid_stream)
        if error is None:
            raise
        raise error from exc
