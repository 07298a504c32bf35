"""The HTTP side every scripted model server shares: a real threading HTTP server on 127.0.0.1,
request recording, the script, error answers and SSE streams. A provider's server says only
which paths it serves, how its errors look and how a reply is spelled as events."""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Protocol

from tests.fakes.script import Answer, CutStream, Entry, Exhausted, Fault, Reply, Script


@dataclass
class Sse:
    """One server-sent event; ``data`` is JSON-encoded unless it is already text."""

    event: str | None
    data: dict[str, Any] | str

    def encode(self) -> bytes:
        data = self.data if isinstance(self.data, str) else json.dumps(self.data)
        head = f"event: {self.event}\n" if self.event else ""
        return f"{head}data: {data}\n\n".encode()


class Wire(Protocol):
    """How one endpoint spells a streamed answer."""

    def reply(self, reply: Reply, request: dict[str, Any]) -> list[Sse]: ...

    def cut(self, text: str, request: dict[str, Any]) -> list[Sse]: ...


def pieces(text: str, parts: int = 3) -> list[str]:
    """``text`` split into up to ``parts`` non-empty pieces, as a real stream would send it."""
    if not text:
        return []
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)]


def token_counts(request: dict[str, Any], output: str) -> tuple[int, int]:
    """Plausible (input, output) token counts: about four characters a token."""
    return max(1, len(json.dumps(request)) // 4), max(1, len(output) // 4)


def error_type(status: int) -> str:
    known = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        429: "rate_limit_error",
        529: "overloaded_error",
    }
    return known.get(status, "api_error" if status >= 500 else "invalid_request_error")


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (closing a kept-alive connection, a killed kodo) is normal here,
    not a traceback on stderr."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ScriptedServer:
    """Context manager: serves the script while open; ``requests`` and ``auth_headers`` record
    what arrived, in order; ``exhausted`` tells whether a request found no entry left."""

    auth_header: ClassVar[str]
    base_path: ClassVar[str]  # what ``base_url`` ends with: the client appends the rest

    def __init__(self, script: list[Entry]) -> None:
        self.script = Script(script)
        self.idle_timeout: float | None = None  # set before entering: idle connections close
        self.connections = 0  # TCP connections accepted
        self.requests: list[dict[str, Any]] = []
        self.auth_headers: list[str | None] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def routes(self) -> dict[str, Wire]:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def exhausted(self) -> bool:
        return self.script.exhausted

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the scripted server is not running: use it as a context manager")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{self.base_path}"

    def __enter__(self) -> ScriptedServer:
        handler = type("Handler", (_Handler,), {"server_side": self, "timeout": self.idle_timeout})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="scripted-model", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def connected(self) -> None:
        with self._lock:
            self.connections += 1

    def record(self, request: dict[str, Any], auth: str | None) -> None:
        with self._lock:
            self.requests.append(request)
            self.auth_headers.append(auth)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Events go out as they are written, as streaming servers send them (uvicorn sets it too);
    # with Nagle's algorithm each small write after the first waits for the client's delayed
    # ACK, about 40 ms a turn that no real model server adds.
    disable_nagle_algorithm = True
    server_side: ClassVar[ScriptedServer]

    def setup(self) -> None:
        super().setup()
        self.server_side.connected()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test's output should show its own failures, not an access log."""

    def do_POST(self) -> None:
        side = self.server_side
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        wire = side.routes().get(self.path)
        if wire is None:
            self._json(404, side.error_body(404, f"scripted model: no endpoint {self.path}"))
            return
        try:
            request = json.loads(raw)
        except json.JSONDecodeError as exc:
            self._json(400, side.error_body(400, f"scripted model: body is not JSON: {exc}"))
            return
        if not isinstance(request, dict) or request.get("stream") is not True:
            message = "scripted model: only streamed requests are served (send stream=true)"
            self._json(400, side.error_body(400, message))
            return
        side.record(request, self.headers.get(side.auth_header))
        try:
            answer: Answer | Exhausted = side.script.next(request)
        except Exception as exc:
            message = f"scripted model: the script's callable raised {exc!r}"
            self._json(500, side.error_body(500, message))
            raise
        try:
            self._answer(answer, wire, request)
        except ConnectionError:
            self.close_connection = True  # the client gave up on the answer

    def _answer(self, answer: Answer | Exhausted, wire: Wire, request: dict[str, Any]) -> None:
        side = self.server_side
        if isinstance(answer, Exhausted):
            self._json(500, side.error_body(500, answer.message))
        elif isinstance(answer, Fault):
            headers = {} if answer.retry_after is None else {"Retry-After": f"{answer.retry_after}"}
            self._json(answer.status, side.error_body(answer.status, answer.message), headers)
        elif isinstance(answer, CutStream):
            self._stream(wire.cut(answer.text, request), complete=False)
        elif isinstance(answer, Reply):
            self._stream(wire.reply(answer, request), complete=True)
        else:
            message = f"scripted model: a script entry gave {answer!r}, not Reply/Fault/CutStream"
            self._json(500, side.error_body(500, message))

    def _json(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, events: list[Sse], *, complete: bool) -> None:
        """Chunked SSE; an incomplete stream drops the connection without the final chunk, as a
        network failure would."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for event in events:
            data = event.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        if complete:
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.close_connection = True
