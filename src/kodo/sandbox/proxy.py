"""The filtering proxy behind ``network = "registries"``: the sandbox keeps its own network
namespace, and its only way out is this proxy, which runs in kodo and reaches nothing but the
hosts on its allow-list.

Inside the sandbox the supervisor listens on ``127.0.0.1:PROXY_PORT`` and hands every accepted
connection (the socket itself, as an SCM_RIGHTS fd) to kodo over a private socket pair, so no
path into the host's network exists in the sandbox's filesystem. Here each connection is read as
one HTTP proxy request: ``CONNECT host:port`` (HTTPS: a tunnel, the bytes inside are not looked
at) or an absolute-form request such as ``GET http://host/path`` (plain HTTP). The host is
compared as written, after lower-casing and dropping one trailing dot, with the allow-list's
entries, and the proxy connects to exactly that name: an IP literal, a longer name ending in an
allowed one or another port is refused. Every refusal is an HTTP error whose status line and
body say what was refused and how the person can allow it, so the model can read it in the
failing command's output.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

PROXY_PORT = 3128
PROXY_URL = f"http://127.0.0.1:{PROXY_PORT}"
MAX_HEAD = 64 * 1024
HEAD_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 15.0
DEFAULT_PORTS = (80, 443)  # an entry without a port allows plain HTTP and HTTPS

_NAME = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9_-]{1,63}(?<!-))*")
_IPV6 = re.compile(r"\[[0-9a-f:.]{2,45}\]")
_AUTHORITY = re.compile(r"(?P<host>[^:\[\]]+|\[[^\]]*\]):(?P<port>\d{1,5})")
_ABSOLUTE = re.compile(r"(?i:http)://(?P<authority>[^/?#]*)(?P<path>[/?][^#]*)?")
_HOP_BY_HOP = frozenset(
    {"connection", "proxy-connection", "keep-alive", "proxy-authorization", "te", "upgrade"}
)


def normal_host(raw: str) -> str | None:
    """The host in the form entries are compared in, or None when it is no plain DNS name or
    bracketed IPv6 literal (userinfo, percent-escapes, spaces...)."""
    host = raw.lower()
    host = host[:-1] if host.endswith(".") else host
    if len(host) <= 253 and (_NAME.fullmatch(host) or _IPV6.fullmatch(host)):
        return host
    return None


def _port(raw: str) -> int | None:
    port = int(raw)
    return port if 0 < port < 65536 else None


def parse_entry(raw: str) -> tuple[str, int | None]:
    """``host``, ``host:port`` or a URL (its host and port) as an allow-list entry; a URL
    without a port allows its scheme's. Raises ValueError saying what is wrong."""
    text = raw.strip()
    if "://" in text:
        try:
            url = urlsplit(text)
            port = url.port
        except ValueError as exc:
            raise ValueError(f"{raw!r} is not a valid URL: {exc}") from None
        if not url.hostname or url.scheme not in ("http", "https"):
            raise ValueError(f"{raw!r}: only http and https URLs name a host to allow")
        text = url.netloc.rpartition("@")[2]
        if port is None:
            text = f"{text}:{443 if url.scheme == 'https' else 80}"
    match = _AUTHORITY.fullmatch(text)
    host_text, port_text = (match["host"], match["port"]) if match else (text, None)
    host = normal_host(host_text)
    port = _port(port_text) if port_text else None
    if host is None or (port_text and port is None):
        raise ValueError(f"{raw!r} is not a host name, host:port or URL")
    return host, port


@dataclass(frozen=True)
class AllowList:
    """Hosts the sandbox may reach: ``(host, port)``, where port None means 80 and 443."""

    entries: frozenset[tuple[str, int | None]]

    @classmethod
    def parse(cls, raw: Iterable[str]) -> AllowList:
        return cls(frozenset(parse_entry(item) for item in raw))

    def allows(self, host: str, port: int) -> bool:
        return (host, port) in self.entries or (
            port in DEFAULT_PORTS and (host, None) in self.entries
        )

    def describe(self) -> str:
        schemes = {80: "http://", 443: "https://"}
        shown = sorted(
            h if p is None else f"{schemes[p]}{h}" if p in schemes else f"{h}:{p}"
            for h, p in self.entries
            if p is None or (h, None) not in self.entries or p not in DEFAULT_PORTS
        )
        return ", ".join(shown) or "nothing"


def _refusal(allow: AllowList, what: str) -> str:
    return (
        f'kodo\'s sandbox proxy refused {what}: with network = "registries" only the package '
        f"indexes in the person's pip, npm and uv configuration and network_allow are "
        f"reachable ({allow.describe()}). The person can add a host with "
        f'network_allow = ["HOST"] in ~/.kodo/config.toml'
    )


def _response(status: str, message: str) -> bytes:
    """An error response whose reason phrase carries the message too: clients that show only
    the status line (pip's "Tunnel connection failed: 403 ...") still show why."""
    line = message.replace("\r", " ").replace("\n", " ")
    body = (message + "\n").encode()
    head = (
        f"HTTP/1.1 {status} {line}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("utf-8", "replace") + body


def _shown(text: str) -> str:
    """A client's text as it may appear in a reply: short, ASCII, no line breaks."""
    return ascii(text[:200])[1:-1]


class Refused(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def _read_head(conn: socket.socket) -> tuple[bytes, bytes]:
    """The request head (up to the blank line) and whatever the client sent after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD:
            raise Refused("431", "kodo's sandbox proxy: request head too large")
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("the client closed the connection")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _relay(src: socket.socket, dst: socket.socket) -> None:
    """Copies until ``src`` ends, then passes the end on, so each side sees the other close."""
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


class RegistryProxy:
    """Serves the connections a sandbox's supervisor hands over (``serve``), each in a thread
    of its own; all of them end when the sandbox does, since their other end is inside it."""

    def __init__(self, allow: AllowList) -> None:
        self.allow = allow

    def serve(self, channel: socket.socket) -> threading.Thread:
        """Takes connections from ``channel`` (a SOCK_SEQPACKET end whose peer is the
        supervisor) until the peer closes it; returns the thread doing so."""
        thread = threading.Thread(
            target=self._accept, args=(channel,), name="kodo-proxy", daemon=True
        )
        thread.start()
        return thread

    def _accept(self, channel: socket.socket) -> None:
        with channel:
            while True:
                try:
                    msg, fds, _flags, _addr = socket.recv_fds(channel, 16, 4)
                except OSError:
                    return
                if not msg and not fds:
                    return
                for fd in fds:
                    try:
                        conn = socket.socket(fileno=fd)
                    except OSError:  # not a socket: nothing a supervisor sends
                        os.close(fd)
                        continue
                    threading.Thread(
                        target=self.handle, args=(conn,), name="kodo-proxy-conn", daemon=True
                    ).start()

    def handle(self, conn: socket.socket) -> None:
        """One client connection: read its request, refuse it or connect and relay."""
        with conn:
            try:
                conn.settimeout(HEAD_TIMEOUT_S)
                head, rest = _read_head(conn)
                upstream, first = self._open(head)
            except Refused as exc:
                with contextlib.suppress(OSError):
                    conn.sendall(_response(exc.status, str(exc)))
                return
            except (OSError, ConnectionError, UnicodeDecodeError):
                return
            with upstream:
                conn.settimeout(None)
                try:
                    if first is None:
                        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    else:
                        upstream.sendall(first)
                    if rest:
                        upstream.sendall(rest)
                except OSError:
                    return
                back = threading.Thread(target=_relay, args=(upstream, conn), daemon=True)
                back.start()
                _relay(conn, upstream)
                back.join()

    def _open(self, head: bytes) -> tuple[socket.socket, bytes | None]:
        """The upstream connection for a request head, and for plain HTTP the head to send
        it (None for CONNECT, which gets a 200 instead). Raises Refused."""
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise Refused("400", f"kodo's sandbox proxy: not an HTTP request: {_shown(lines[0])}")
        method, target, version = parts
        if method == "CONNECT":
            authority = target
        elif url := _ABSOLUTE.fullmatch(target):
            authority, path = url["authority"], url["path"] or "/"
            path = path if path.startswith("/") else "/" + path
            if not _AUTHORITY.fullmatch(authority):
                authority += ":80"
        else:
            raise Refused(
                "400",
                f"kodo's sandbox proxy: {_shown(method)} {_shown(target)}: a proxy takes "
                "CONNECT host:port or an absolute http:// URL",
            )
        host, port = self._check(authority)
        try:
            upstream = socket.create_connection((host.strip("[]"), port), CONNECT_TIMEOUT_S)
        except OSError as exc:
            raise Refused(
                "502", f"kodo's sandbox proxy could not reach {host}:{port}: {exc}"
            ) from None
        upstream.settimeout(None)
        if method == "CONNECT":
            return upstream, None
        headers = [
            line
            for line in lines[1:]
            if line and line.split(":", 1)[0].strip().lower() not in _HOP_BY_HOP | {"host"}
        ]
        shown_host = host if port == 80 else f"{host}:{port}"
        request = [f"{method} {path} {version}", f"Host: {shown_host}", *headers]
        request.append("Connection: close")
        return upstream, ("\r\n".join(request) + "\r\n\r\n").encode("latin-1")

    def _check(self, authority: str) -> tuple[str, int]:
        match = _AUTHORITY.fullmatch(authority)
        host = normal_host(match["host"]) if match else None
        port = _port(match["port"]) if match else None
        if host is None or port is None:
            raise Refused("400", _refusal(self.allow, f"{_shown(authority)} (not host:port)"))
        if not self.allow.allows(host, port):
            raise Refused("403", _refusal(self.allow, f"{host}:{port}"))
        return host, port
