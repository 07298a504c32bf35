"""Runs the MCP servers configured for one session and lets the synchronous agent loop call them.

The SDK is async and kodo's loop is not, so every client session lives on one asyncio loop in a
background thread owned by the manager, and ``call`` blocks on it. Each connection is held open
by its own task inside a cancel scope: stopping a server cancels that scope, so the SDK's context
managers unwind in the task that entered them and the SDK itself stops the server's process tree.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import tempfile
import threading
from collections.abc import Coroutine, Mapping
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from kodo.config import McpServer
from kodo.mcp.content import CallResult, render_result

START_TIMEOUT_S = 10.0
CALL_TIMEOUT_S = 300.0
_STOP_TIMEOUT_S = 15.0  # the SDK's own shutdown is bounded at about 6.5 s per server
_SAFE_ENV = ("PATH", "HOME", "LANG")  # a third-party server gets these, never kodo's API keys

T = TypeVar("T")


class McpCallError(Exception):
    """A call that got no result: the server is not running, timed out or broke the protocol."""


@dataclass(frozen=True)
class McpToolInfo:
    server: str
    name: str
    description: str
    input_schema: dict[str, Any]


@dataclass
class _Connection:
    name: str
    spec: McpServer
    session: Any = None
    tools: list[McpToolInfo] = field(default_factory=list)
    error: str | None = None
    scope: Any = None  # the anyio.CancelScope that holds the connection open
    task: asyncio.Task[None] | None = None  # referenced, or the loop may drop it mid-run
    settled: asyncio.Event | None = None  # started, or failed to
    done: asyncio.Event | None = None


def _describe(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"cannot run {exc.filename}: {exc.strerror or exc}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _stderr_tail(errlog: IO[str], limit: int = 600) -> str:
    """What a failed stdio server said last: usually the reason it failed."""
    errlog.flush()
    errlog.seek(0)
    text = errlog.read().strip()
    return f" (stderr: {text[-limit:]})" if text else ""


def _server_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {key: os.environ[key] for key in _SAFE_ENV if key in os.environ}
    env.update(extra)
    return env


class McpManager:
    """Owns the connections to every configured server, from ``start`` to ``close``."""

    def __init__(
        self,
        servers: Mapping[str, McpServer],
        *,
        cwd: Path,
        start_timeout_s: float = START_TIMEOUT_S,
        call_timeout_s: float = CALL_TIMEOUT_S,
    ) -> None:
        self._connections = {name: _Connection(name, spec) for name, spec in servers.items()}
        self._cwd = cwd
        self.start_timeout_s = start_timeout_s
        self.call_timeout_s = call_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def tools(self) -> list[McpToolInfo]:
        return [tool for conn in self._connections.values() for tool in conn.tools]

    def start(self) -> list[str]:
        """Starts every server at once; returns one line per server that could not start.

        A server that fails is left out (its tools are absent); it never stops the session."""
        problems = []
        for conn in self._connections.values():
            if (conn.spec.command is None) == (conn.spec.url is None):
                conn.error = "needs exactly one of `command` (stdio) or `url` (streamable HTTP)"
        if any(conn.error is None for conn in self._connections.values()):
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="kodo-mcp", daemon=True
            )
            self._thread.start()
            self._submit(self._start_all(), None)
        for conn in self._connections.values():
            if conn.error is not None:
                problems.append(f"MCP server {conn.name!r} did not start: {conn.error}")
        return problems

    def call(
        self,
        server: str,
        tool: str,
        arguments: dict[str, Any],
        timeout_s: float | None = None,
    ) -> CallResult:
        conn = self._connections.get(server)
        if conn is None or conn.session is None or self._loop is None:
            why = f" ({conn.error})" if conn is not None and conn.error else ""
            raise McpCallError(f"MCP server {server!r} is not running{why}")
        timeout = timeout_s or self.call_timeout_s
        future = asyncio.run_coroutine_threadsafe(
            self._call(conn, tool, arguments, timeout), self._loop
        )
        try:
            return future.result(timeout + 5)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise McpCallError(f"{server}: {tool} gave no answer within {timeout:g}s") from None
        except McpCallError:
            raise
        except Exception as exc:
            raise McpCallError(f"{server}: {tool} failed: {_describe(exc)}") from exc

    def close(self) -> None:
        """Stops every server and the loop; safe to call more than once, and after a failure."""
        loop, thread, self._loop = self._loop, self._thread, None
        try:
            if loop is not None and thread is not None:
                try:
                    with suppress(concurrent.futures.TimeoutError):
                        self._submit_to(loop, self._stop_all(), _STOP_TIMEOUT_S + 5)
                finally:
                    loop.call_soon_threadsafe(loop.stop)
                    thread.join(5)
                    if not thread.is_alive():
                        loop.close()
        finally:
            for conn in self._connections.values():
                conn.session = None

    def _submit(self, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
        assert self._loop is not None
        return self._submit_to(self._loop, coro, timeout)

    @staticmethod
    def _submit_to(
        loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T], timeout: float | None
    ) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    async def _start_all(self) -> None:
        import anyio

        pending = [conn for conn in self._connections.values() if conn.error is None]
        waits = []
        for conn in pending:
            conn.settled = settled = asyncio.Event()
            conn.done = asyncio.Event()
            conn.scope = anyio.CancelScope()
            conn.task = asyncio.get_running_loop().create_task(self._hold(conn))
            waits.append(asyncio.ensure_future(settled.wait()))
        _, late = await asyncio.wait(waits, timeout=self.start_timeout_s)
        for wait in late:
            wait.cancel()
        for conn in pending:
            if conn.settled is not None and not conn.settled.is_set():
                conn.error = f"no answer to initialize within {self.start_timeout_s:g}s"
                await self._stop(conn)

    async def _stop_all(self) -> None:
        await asyncio.gather(*(self._stop(conn) for conn in self._connections.values()))

    async def _stop(self, conn: _Connection) -> None:
        if conn.scope is None or conn.done is None:
            return
        conn.scope.cancel()
        try:
            await asyncio.wait_for(conn.done.wait(), _STOP_TIMEOUT_S)
        except TimeoutError:
            conn.error = conn.error or "did not stop in time"

    async def _hold(self, conn: _Connection) -> None:
        """Opens the connection, publishes its tools, then keeps it open until cancelled."""
        import anyio
        from mcp import ClientSession

        assert conn.settled is not None and conn.done is not None
        try:
            with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
                with conn.scope:
                    try:
                        async with AsyncExitStack() as stack:
                            transport = self._transport(conn, errlog)
                            read, write = await stack.enter_async_context(transport)
                            session = await stack.enter_async_context(ClientSession(read, write))
                            await session.initialize()
                            conn.tools = await self._list_tools(conn.name, session)
                            conn.session = session
                            conn.settled.set()
                            await anyio.sleep_forever()
                    except Exception as exc:
                        conn.error = _describe(exc)
                        conn.tools = []
                if conn.error is not None and not conn.settled.is_set():
                    conn.error += _stderr_tail(errlog)
        finally:
            conn.session = None
            conn.settled.set()
            conn.done.set()

    def _transport(self, conn: _Connection, errlog: IO[str]) -> Any:
        if conn.spec.url is not None:
            from mcp.client.streamable_http import streamable_http_client

            return streamable_http_client(conn.spec.url)
        from mcp.client.stdio import StdioServerParameters, stdio_client

        assert conn.spec.command is not None
        params = StdioServerParameters(
            command=conn.spec.command,
            args=conn.spec.args,
            env=_server_env(conn.spec.env),
            cwd=self._cwd,
        )
        return stdio_client(params, errlog=errlog)

    @staticmethod
    async def _list_tools(server: str, session: Any) -> list[McpToolInfo]:
        from mcp.types import PaginatedRequestParams

        tools: list[McpToolInfo] = []
        cursor: str | None = None
        while True:
            params = PaginatedRequestParams(cursor=cursor) if cursor else None
            result = await session.list_tools(params=params)
            tools.extend(
                McpToolInfo(server, t.name, t.description or "", dict(t.input_schema))
                for t in result.tools
            )
            cursor = result.next_cursor
            if not cursor:
                return tools

    async def _call(
        self, conn: _Connection, tool: str, arguments: dict[str, Any], timeout: float
    ) -> CallResult:
        if conn.session is None:
            raise McpCallError(f"MCP server {conn.name!r} has stopped")
        result = await conn.session.call_tool(tool, arguments, read_timeout_seconds=timeout)
        return render_result(result)
