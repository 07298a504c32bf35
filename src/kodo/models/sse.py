"""One streamed model request over HTTP: a POST whose answer is read as server-sent events, each
event's data parsed with one ``json.loads``.

The provider SDKs are not on this path on purpose: importing the OpenAI SDK takes about a second
and it builds a pydantic object for every stream event. The standard library's ``http.client``
does the HTTP/1.1 here; the connection is kept alive across turns (a stale one is reopened
once), ``request_timeout_s`` bounds connecting and each read, TLS uses the system's certificates
and certifi's, and ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` are honoured. Failures become
``ModelError`` in ``errors.py``, the same messages and retry decisions for every provider.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.client
import json
import os
from collections.abc import Callable, Generator, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from kodo import __version__
from kodo.models.base import ModelError
from kodo.models.errors import Endpoint, status_error, stream_error, transport_errors

USER_AGENT = f"kodo/{__version__}"
READ_SIZE = 1 << 16
DRAIN_S = 1.0  # how long the end of a stream is waited for once its final event came
T = TypeVar("T")
_STALE = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)


@functools.cache
def _tls_context() -> Any:
    import ssl

    context = ssl.create_default_context()  # system store, SSL_CERT_FILE and SSL_CERT_DIR
    try:
        import certifi
    except ImportError:
        return context
    context.load_verify_locations(certifi.where())  # what the SDKs trusted
    return context


def _proxy(scheme: str, host: str) -> str | None:
    """The proxy URL the environment names for ``scheme://host``, or None."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return None
    from urllib.request import (  # type: ignore[attr-defined]  # in urllib, not in typeshed
        getproxies_environment,
        proxy_bypass_environment,
    )

    proxies = getproxies_environment()
    if proxy_bypass_environment(host, proxies):
        return None
    return proxies.get(scheme) or proxies.get("all")


class SseConnection:
    """A kept-alive connection to one server, for the requests of one model."""

    def __init__(self, where: Endpoint, headers: Mapping[str, str]) -> None:
        url = urlsplit(where.base_url)
        self.where = where
        self.scheme = url.scheme
        self.host = url.hostname or ""
        self.port = url.port or (443 if url.scheme == "https" else 80)
        self.base_path = url.path.rstrip("/")
        self.headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
            "User-Agent": USER_AGENT,
            **headers,
        }
        self._conn: http.client.HTTPConnection | None = None
        self._absolute = False  # through a plain-HTTP proxy: the request line names the URL

    def _connect(self) -> http.client.HTTPConnection:
        timeout = self.where.timeout_s
        proxy = _proxy(self.scheme, self.host)
        if proxy is None:
            if self.scheme == "https":
                return http.client.HTTPSConnection(
                    self.host, self.port, timeout=timeout, context=_tls_context()
                )
            return http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if parts.scheme != "http":
            raise ModelError(
                f"proxy {parts.scheme}://{parts.hostname} is not supported for model requests: "
                "give HTTPS_PROXY/HTTP_PROXY as an http:// proxy"
            )
        auth = {}
        if parts.username:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            auth["Proxy-Authorization"] = "Basic " + base64.b64encode(pair).decode()
        if self.scheme == "http":
            self._absolute = True
            self.headers.update(auth)
            return http.client.HTTPConnection(
                parts.hostname or "", parts.port or 80, timeout=timeout
            )
        conn = http.client.HTTPSConnection(
            parts.hostname or "", parts.port or 80, timeout=timeout, context=_tls_context()
        )
        conn.set_tunnel(self.host, self.port, headers=auth)
        return conn

    def _send(self, path: str, body: bytes) -> http.client.HTTPResponse:
        target = self.base_path + path
        if self._absolute:
            target = f"{self.scheme}://{self.host}:{self.port}{target}"
        reused = self._conn is not None and self._conn.sock is not None
        if self._conn is None:
            self._conn = self._connect()
        try:
            self._conn.request("POST", target, body=body, headers=self.headers)
            return self._conn.getresponse()
        except _STALE:
            self.close()
            if not reused:
                raise
        # The server closed the idle connection before reading the request: send it again.
        self._conn = self._connect()
        self._conn.request("POST", target, body=body, headers=self.headers)
        return self._conn.getresponse()

    def answer(
        self,
        path: str,
        body: bytes,
        read: Callable[[Iterator[tuple[str | None, Any]]], Iterator[T]],
    ) -> Iterator[T]:
        """What ``read`` makes of the events of one request. Once it has seen the final event,
        the end of the stream is read too, so the connection can serve the next request."""
        events = self.events(path, body)
        try:
            yield from read(events)
            if self._conn is not None and self._conn.sock is not None:
                self._conn.sock.settimeout(DRAIN_S)  # a server that holds the stream open
            with contextlib.suppress(ModelError):
                for _ in events:
                    pass
            if self._conn is not None and self._conn.sock is not None:
                self._conn.sock.settimeout(self.where.timeout_s)
        finally:
            events.close()

    def events(self, path: str, body: bytes) -> Generator[tuple[str | None, Any], None, None]:
        """POSTs ``body`` to ``base_url + path`` and yields each event's name and parsed data;
        raises ``ModelError`` for an error answer, a transport failure or an error event."""
        with transport_errors(self.where):
            response = self._send(path, body)
        done = False
        try:
            if response.status >= 400:
                with transport_errors(self.where):
                    raw = response.read()
                headers = {k.lower(): v for k, v in response.headers.items()}
                status, reason = response.status, response.reason
                raise status_error(status, _body(raw), headers, self.where, reason)
            with transport_errors(self.where, mid_stream=True):
                for event, data in _read_events(response):
                    if data == "[DONE]":
                        break
                    yield event, self._parse(data)
                response.read()  # the rest, so the connection can serve the next request
            done = True
        finally:
            if not done or response.will_close:
                self.close()

    def _parse(self, data: str) -> Any:
        try:
            payload = json.loads(data)
        except ValueError:
            raise ModelError(
                f"{self.where.base_url} sent an event that is not JSON mid-answer: {data[:200]!r}",
                retryable=True,
            ) from None
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            raise stream_error(payload, self.where)
        return payload

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _body(raw: bytes) -> object:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def _read_events(response: http.client.HTTPResponse) -> Iterator[tuple[str | None, str]]:
    """Server-sent events as (name, data); an event cut off by the end of the stream is
    dropped, as the SSE standard says."""
    event: str | None = None
    data: list[str] = []
    rest = b""
    while chunk := response.read1(READ_SIZE):
        *lines, rest = (rest + chunk).split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", errors="replace").removesuffix("\r")
            if not line:
                if data:
                    yield event, "\n".join(data)
                event, data = None, []
            elif line.startswith("data:"):
                data.append(line[6:] if line.startswith("data: ") else line[5:])
            elif line.startswith("event:"):
                event = line[6:].strip()
