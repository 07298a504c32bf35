"""Attacks on the registry proxy (``network = "registries"``), each beside a positive control.

Connections reach the proxy as they do from a sandbox: an accepted TCP socket handed over a
SOCK_SEQPACKET channel as an fd. Upstreams are loopback servers that count who connected, so a
refusal is checked both in the reply and in the fact that nothing reached the upstream.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from kodo.sandbox.proxy import AllowList, RegistryProxy, parse_entry


@dataclass
class Echo:
    """A TCP server on 127.0.0.1 that echoes what it gets and counts its connections."""

    server: socket.socket
    connections: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.getsockname()[1]

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections.append("connected")
            with conn:
                while data := conn.recv(4096):
                    conn.sendall(data)


class Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str]] = []  # per test: the fixture resets it

    def do_GET(self) -> None:
        Recorder.seen.append((self.path, self.headers.get("Host", "")))
        body = b"index page\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _echo() -> Echo:
    echo = Echo(socket.create_server(("127.0.0.1", 0)))
    threading.Thread(target=echo.serve, daemon=True).start()
    return echo


@pytest.fixture
def echo() -> Iterator[Echo]:
    server = _echo()
    yield server
    server.server.close()


@pytest.fixture
def other() -> Iterator[Echo]:
    """A second upstream on the same host, on a port nobody allowed."""
    server = _echo()
    yield server
    server.server.close()


@pytest.fixture
def web() -> Iterator[int]:
    Recorder.seen = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


class Client:
    """Hands connections to a proxy through a channel, the way the sandbox's supervisor does."""

    def __init__(self, allow: list[str]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        mine, self.channel = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.thread = RegistryProxy(AllowList.parse(allow)).serve(mine)

    def connect(self) -> socket.socket:
        client = socket.create_connection(self.listener.getsockname(), timeout=10)
        conn, _ = self.listener.accept()
        with conn:
            socket.send_fds(self.channel, [b"c"], [conn.fileno()])
        return client

    def exchange(self, request: bytes, then: bytes = b"") -> bytes:
        """Sends ``request``; after a 200 to a CONNECT, sends ``then`` through the tunnel."""
        with self.connect() as client:
            client.sendall(request)
            reply = client.recv(65536)
            if then and reply.startswith(b"HTTP/1.1 200"):
                client.sendall(then)
                reply += client.recv(65536)
            else:
                while chunk := client.recv(65536):
                    reply += chunk
            return reply

    def close(self) -> None:
        self.channel.close()
        self.thread.join(5)
        self.listener.close()


@pytest.fixture
def proxy() -> Iterator:
    made: list[Client] = []

    def make(*allow: str) -> Client:
        made.append(Client(list(allow)))
        return made[-1]

    yield make
    for client in made:
        client.close()
        assert not client.thread.is_alive()


def connect(target: str) -> bytes:
    return f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode()


def test_allowed_host_tunnels_and_the_channel_closing_ends_the_proxy(proxy, echo) -> None:
    reply = proxy(f"127.0.0.1:{echo.port}").exchange(connect(f"127.0.0.1:{echo.port}"), b"ping")
    assert reply == b"HTTP/1.1 200 Connection established\r\n\r\nping"
    assert echo.connections == ["connected"]


def test_host_not_on_the_list_is_refused_with_a_readable_reason(proxy, echo) -> None:
    reply = proxy("pypi.org").exchange(connect(f"127.0.0.1:{echo.port}"), b"ping")
    status = reply.split(b"\r\n")[0].decode()
    assert status.startswith(f"HTTP/1.1 403 kodo's sandbox proxy refused 127.0.0.1:{echo.port}")
    assert "(pypi.org)" in status and "network_allow" in status
    assert b'network = "registries"' in reply.split(b"\r\n\r\n", 1)[1]
    assert echo.connections == []


def test_allowed_host_on_another_port_is_refused(proxy, echo, other) -> None:
    client = proxy(f"127.0.0.1:{echo.port}")
    assert client.exchange(connect(f"127.0.0.1:{other.port}"), b"x").startswith(b"HTTP/1.1 403")
    assert other.connections == []
    assert client.exchange(connect(f"127.0.0.1:{echo.port}"), b"x").startswith(b"HTTP/1.1 200")


def test_a_name_without_a_port_allows_only_80_and_443(proxy, echo) -> None:
    assert parse_entry("localhost") == ("localhost", None)
    reply = proxy("localhost").exchange(connect(f"localhost:{echo.port}"), b"x")
    assert reply.startswith(b"HTTP/1.1 403") and echo.connections == []


def test_ip_literal_of_an_allowed_name_is_refused(proxy, echo) -> None:
    client = proxy(f"localhost:{echo.port}")
    for target in (
        f"127.0.0.1:{echo.port}",
        f"[::1]:{echo.port}",
        f"[::ffff:127.0.0.1]:{echo.port}",
        f"2130706433:{echo.port}",
        f"0x7f.0.0.1:{echo.port}",
        f"127.1:{echo.port}",
    ):
        reply = client.exchange(connect(target), b"x")
        assert reply.split(b" ")[1] in (b"403", b"400"), (target, reply)
    assert echo.connections == []
    # positive control: the name itself, in any case and with the root's trailing dot
    for target in (f"localhost:{echo.port}", f"LocalHost.:{echo.port}"):
        assert client.exchange(connect(target), b"hi").endswith(b"\r\n\r\nhi")
    assert len(echo.connections) == 2


def test_names_dressed_as_an_allowed_one_are_refused(proxy, echo) -> None:
    client = proxy(f"localhost:{echo.port}")
    port = echo.port
    for target in (
        f"localhost.nip.io:{port}",
        f"127.0.0.1.nip.io:{port}",
        f"evil-localhost:{port}",
        f"xlocalhost:{port}",
        f"localhost..:{port}",
        f"localhost@127.0.0.1:{port}",
        f"127.0.0.1@localhost:{port}",
        f"localhost:{port}@127.0.0.1:{port}",
        f"localhost%2e:{port}",
        f"localhost\t:{port}",
        f"localhost:+{port}",
        f"localhost:{port}0",
        f"localhost:0{port}x",
        "localhost",
        f"localhost:{port}/path",
    ):
        reply = client.exchange(connect(target), b"x")
        assert reply.split(b" ")[1] in (b"403", b"400"), (target, reply)
    assert echo.connections == []


def test_absolute_form_reaches_only_allowed_hosts_and_fixes_the_host_header(proxy, web) -> None:
    client = proxy(f"127.0.0.1:{web}")
    request = f"GET http://127.0.0.1:{web}/simple/?q=1 HTTP/1.1\r\nHost: evil.example\r\n"
    reply = client.exchange(f"{request}Proxy-Authorization: x\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.0 200") and reply.endswith(b"index page\n")
    assert Recorder.seen == [("/simple/?q=1", f"127.0.0.1:{web}")]
    for target in (
        "http://evil.example/",
        f"http://localhost:{web}/",
        f"http://127.0.0.1:{web}@evil.example/",
        f"http://evil.example@127.0.0.1:{web + 1}/",
        f"HTTP://127.0.0.1:{web + 1}/",
    ):
        reply = client.exchange(f"GET {target} HTTP/1.1\r\n\r\n".encode())
        assert reply.split(b" ")[1] in (b"403", b"400"), (target, reply)
    assert len(Recorder.seen) == 1


def test_requests_that_are_not_proxy_requests_are_refused(proxy, web) -> None:
    client = proxy(f"127.0.0.1:{web}")
    reply = client.exchange(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 kodo's sandbox proxy: GET /: a proxy takes CONNECT")
    assert client.exchange(b"\x16\x03\x01garbage\r\n\r\n").startswith(b"HTTP/1.1 400")
    reply = client.exchange(f"GET https://127.0.0.1:{web}/ HTTP/1.1\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 400")
    assert Recorder.seen == []


def test_bad_allow_entries_are_errors() -> None:
    assert parse_entry("https://Mirror.Example.com/simple") == ("mirror.example.com", 443)
    assert parse_entry("http://user:pw@10.0.0.5:3141/root/pypi") == ("10.0.0.5", 3141)
    assert parse_entry("[::1]:8080") == ("[::1]", 8080)
    for bad in ("pypi.org/simple", "pypi org", "ftp://x.org", "x.org:99999", "", "a@b.org"):
        with pytest.raises(ValueError):
            parse_entry(bad)
