"""Runs the MCP servers configured for one session and lets the synchronous agent loop call them.

The SDK is async and kodo's loop is not, so every client session lives on one asyncio loop in a
background thread owned by the manager, and ``call`` blocks on it. Each connection is held open
by its own task inside a cancel scope: stopping a server cancels that scope, so the SDK's context
managers unwind in the task that entered them and the SDK itself stops the server's process tree.

Servers change while a session runs: ``notifications/tools/list_changed`` makes the manager list
that server's tools again (``generation`` counts such changes, so the tool registry knows when
to rebuild), and a streamable-HTTP server that restarted, losing its session or dropping the
connection, is connected to again on the next call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import tempfile
import threading
from collections.abc import Coroutine, Mapping
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from kodo.mcp.content import CallResult, render_result
from kodo.mcp.spec import (
    McpServer,
    McpSetupError,
    config_warnings,
    server_cwd,
    server_env,
    server_headers,
)

if TYPE_CHECKING:
    from mcp.client.session import MessageHandlerFnT

_STOP_TIMEOUT_S = 15.0  # the SDK's own shutdown is bounded at about 6.5 s per server
# What servers answer to a request on a session they no longer know (they restarted): the
# request was not run, so connecting again and sending it again is safe.
_SESSION_LOST = re.compile(r"session (not found|terminated|expired)|unknown session", re.I)

T = TypeVar("T")


class McpCallError(Exception):
    """A call that got no result: the server is not running, timed out or broke the protocol."""


@dataclass(frozen=True)
class McpToolInfo:
    server: str
    name: str
    description: str
    input_schema: dict[str, Any]
    # The server's annotations (hints, as MCP says: only as trustworthy as the server).
    read_only: bool = False
    destructive: bool | None = None
    open_world: bool | None = None


@dataclass
class _Connection:
    name: str
    spec: McpServer
    session: Any = None  # set once the server answered and its tools are listed
    client: Any = None  # the SDK session from its start, for listing tools again
    tools: list[McpToolInfo] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)  # tool -> why it is not offered
    error: str | None = None
    started: bool = False  # connected at least once, so a lost connection may be reopened
    listings: int = 0  # tool listings begun; a late answer to an older one is dropped
    applied: int = 0
    scope: Any = None  # the anyio.CancelScope that holds the connection open
    task: asyncio.Task[None] | None = None  # referenced, or the loop may drop it mid-run
    refresh: asyncio.Task[None] | None = None
    settled: asyncio.Event | None = None  # started, or failed to
    done: asyncio.Event | None = None


def _describe(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, McpSetupError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"cannot run {exc.filename}: {exc.strerror or exc}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _stderr_tail(errlog: TextIO, limit: int = 600) -> str:
    """What a failed stdio server said last: usually the reason it failed."""
    errlog.flush()
    errlog.seek(0)
    text = errlog.read().strip()
    return f" (stderr: {text[-limit:]})" if text else ""


def _session_lost(exc: BaseException) -> bool:
    return _SESSION_LOST.search(str(exc)) is not None


def _tool_info(server: str, tool: Any) -> McpToolInfo:
    hints = tool.annotations
    return McpToolInfo(
        server,
        tool.name,
        tool.description or "",
        dict(tool.input_schema),
        read_only=bool(hints and hints.read_only_hint),
        destructive=hints.destructive_hint if hints else None,
        open_world=hints.open_world_hint if hints else None,
    )


class McpManager:
    """Owns the connections to every configured server, from ``start`` to ``close``."""

    def __init__(
        self,
        servers: Mapping[str, McpServer],
        *,
        cwd: Path,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._warnings = [
            line for name, spec in servers.items() for line in config_warnings(name, spec)
        ]
        self._connections = {
            name: _Connection(name, spec) for name, spec in servers.items() if spec.enabled
        }
        self._cwd = cwd
        self._environ = dict(os.environ if environ is None else environ)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.generation = 0  # grows whenever the tools on offer change

    @property
    def tools(self) -> list[McpToolInfo]:
        return [tool for conn in self._connections.values() for tool in conn.tools]

    @property
    def left_out(self) -> dict[tuple[str, str], str]:
        """(server, tool) -> why kodo does not offer it."""
        return {
            (conn.name, tool): why
            for conn in self._connections.values()
            for tool, why in conn.left_out.items()
        }

    def start(self) -> list[str]:
        """Starts every enabled server at once; returns one line per problem: keys of the
        config it ignores, servers that could not start, tools it cannot offer.

        A server that fails is left out (its tools are absent); it never stops the session."""
        problems = list(self._warnings)
        for conn in self._connections.values():
            conn.error = conn.spec.transport_problem()
        pending = [conn for conn in self._connections.values() if conn.error is None]
        if pending:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="kodo-mcp", daemon=True
            )
            self._thread.start()
            self._submit(self._connect_all(pending), None)
        for conn in self._connections.values():
            if conn.error is not None:
                problems.append(f"MCP server {conn.name!r} did not start: {conn.error}")
        for (server, tool), why in self.left_out.items():
            problems.append(f"MCP server {server!r}: tool {tool!r} is not offered: {why}")
        return problems

    def call(
        self,
        server: str,
        tool: str,
        arguments: dict[str, Any],
        timeout_s: float | None = None,
    ) -> CallResult:
        conn = self._connections.get(server)
        loop = self._loop
        if conn is None or loop is None or (conn.session is None and not self._reopens(conn)):
            why = f" ({conn.error})" if conn is not None and conn.error else ""
            raise McpCallError(f"MCP server {server!r} is not running{why}")
        timeout = timeout_s or conn.spec.tool_timeout_s
        future = asyncio.run_coroutine_threadsafe(self._call(conn, tool, arguments, timeout), loop)
        try:
            return future.result(timeout + conn.spec.start_timeout_s + 5)
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

    @staticmethod
    def _reopens(conn: _Connection) -> bool:
        """Only a streamable-HTTP server that worked before is connected to again: a stdio
        server that died stays dead rather than being restarted behind the person's back."""
        return conn.spec.url is not None and conn.started

    async def _connect_all(self, conns: list[_Connection]) -> None:
        await asyncio.gather(*(self._connect(conn) for conn in conns))

    async def _connect(self, conn: _Connection) -> None:
        """Opens the connection and waits, up to the server's start-up limit, for its tools."""
        import anyio

        conn.error = None
        conn.settled = asyncio.Event()
        conn.done = asyncio.Event()
        conn.scope = anyio.CancelScope()
        conn.task = asyncio.get_running_loop().create_task(self._hold(conn))
        limit = conn.spec.start_timeout_s
        try:
            await asyncio.wait_for(conn.settled.wait(), limit)
        except TimeoutError:
            conn.error = f"no answer to initialize within {limit:g}s"
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
        from mcp.types import Implementation

        assert conn.settled is not None and conn.done is not None
        try:
            with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as errlog:
                with conn.scope:
                    try:
                        async with AsyncExitStack() as stack:
                            transport = await self._transport(conn, errlog, stack)
                            read, write = await stack.enter_async_context(transport)
                            session = ClientSession(
                                read,
                                write,
                                message_handler=self._on_message(conn),
                                client_info=Implementation(name="kodo", version="0.1.0"),
                            )
                            conn.client = await stack.enter_async_context(session)
                            await session.initialize()
                            await self._list_tools(conn, session)
                            conn.session = session
                            conn.started = True
                            conn.settled.set()
                            await anyio.sleep_forever()
                    except Exception as exc:
                        conn.error = _describe(exc)
                if conn.error is not None and not conn.settled.is_set():
                    conn.error += _stderr_tail(errlog)
        finally:
            conn.session = conn.client = None
            conn.settled.set()
            conn.done.set()

    async def _transport(self, conn: _Connection, errlog: TextIO, stack: AsyncExitStack) -> Any:
        if conn.spec.url is not None:
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            headers = server_headers(conn.spec, self._environ)
            client = await stack.enter_async_context(create_mcp_http_client(headers=headers))
            return streamable_http_client(conn.spec.url, http_client=client)
        from mcp.client.stdio import StdioServerParameters, stdio_client

        assert conn.spec.command is not None
        params = StdioServerParameters(
            command=conn.spec.command,
            args=conn.spec.args,
            env=server_env(conn.spec, self._environ),
            cwd=server_cwd(conn.spec, self._cwd),
        )
        return stdio_client(params, errlog=errlog)

    def _on_message(self, conn: _Connection) -> MessageHandlerFnT:
        from mcp.types import ToolListChangedNotification

        async def handle(message: Any) -> None:
            # Listing from inside the handler would wait on the reader that runs it: a task.
            if isinstance(message, ToolListChangedNotification) and conn.client is not None:
                relist = self._relist(conn, conn.client)
                conn.refresh = asyncio.get_running_loop().create_task(relist)

        return handle

    async def _relist(self, conn: _Connection, session: Any) -> None:
        with suppress(Exception):  # a server that breaks while listing keeps its last tools
            await self._list_tools(conn, session)

    async def _list_tools(self, conn: _Connection, session: Any) -> None:
        """Lists every page of the server's tools and publishes the ones kodo offers."""
        from mcp.types import PaginatedRequestParams

        conn.listings += 1
        number = conn.listings
        listed: list[Any] = []
        cursor: str | None = None
        while True:
            params = PaginatedRequestParams(cursor=cursor) if cursor else None
            result = await session.list_tools(params=params)
            listed.extend(result.tools)
            cursor = result.next_cursor
            if not cursor:
                break
        if number < conn.applied:
            return
        conn.applied = number
        left_out = {}
        tools = []
        for tool in listed:
            if tool.execution is not None and tool.execution.task_support == "required":
                left_out[tool.name] = (
                    "it runs only as a task-augmented call, which kodo does not make"
                )
            elif conn.spec.offers(tool.name):
                tools.append(_tool_info(conn.name, tool))
        if tools != conn.tools:
            self.generation += 1
        conn.tools, conn.left_out = tools, left_out

    async def _call(
        self, conn: _Connection, tool: str, arguments: dict[str, Any], timeout: float
    ) -> CallResult:
        from mcp.shared.exceptions import MCPError
        from mcp.types import CONNECTION_CLOSED

        if conn.session is None:
            await self._reopen(conn)
        try:
            result = await conn.session.call_tool(tool, arguments, read_timeout_seconds=timeout)
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED:
                # Gone: later calls find the server stopped, or reach a url server anew. This
                # call is not sent again: it may have run before the connection closed.
                await self._stop(conn)
                conn.error = "its connection closed"
                raise
            if not (self._reopens(conn) and _session_lost(exc)):
                raise
            await self._reopen(conn)
            result = await conn.session.call_tool(tool, arguments, read_timeout_seconds=timeout)
        return render_result(result)

    async def _reopen(self, conn: _Connection) -> None:
        """Connects again to a streamable-HTTP server whose connection was lost."""
        if not self._reopens(conn):
            raise McpCallError(f"MCP server {conn.name!r} has stopped ({conn.error})")
        await self._stop(conn)
        await self._connect(conn)
        if conn.session is None:
            raise McpCallError(f"MCP server {conn.name!r} cannot be reached again: {conn.error}")
