"""A tiny real MCP server for the tests, built with the official SDK.

``python demo_server.py`` serves over stdio; ``python demo_server.py --http [--port N]`` serves
streamable HTTP on 127.0.0.1 (at an ephemeral port unless given) and prints ``PORT <n>`` once it
is listening. ``DEMO_REQUIRE_HEADER=Name:value`` makes the HTTP server refuse requests without
that header, as a server that wants a token does.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import anyio
from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

server = MCPServer("demo")


@server.tool(description="Add two integers.")
def add(a: int, b: int) -> int:
    return a + b


@server.tool(description="Read an environment variable of the server process.")
def getenv(name: str) -> str:
    return os.environ.get(name, "<unset>")


@server.tool(description="Append a line to the file named by DEMO_RECORD; proves a call happened.")
def record(text: str) -> str:
    with Path(os.environ["DEMO_RECORD"]).open("a", encoding="utf-8") as f:
        f.write(text + "\n")
    return f"recorded {text}"


@server.tool(description="Always fails.")
def explode() -> str:
    raise ToolError("boom from the server")


@server.tool(description="Sleep, then answer.")
def nap(seconds: float) -> str:
    time.sleep(seconds)
    return "awake"


@server.tool(description="A picture and a caption.", structured_output=False)
def picture() -> list[object]:
    return ["a red pixel", Image(data=b"\x89PNG\r\n", format="png")]


@server.tool(description="Offer one more tool, named `name`, and tell the client the list changed.")
async def grow(name: str, ctx: Context) -> str:
    server.add_tool(lambda: f"hello from {name}", name=name, description=f"Added: {name}.")
    await ctx.session.send_tool_list_changed()
    return f"added {name}"


def _require_header(app: Any, name: str, value: str) -> Any:
    """ASGI middleware: 401 for a request without the header."""

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            if headers.get(name.lower()) != value:
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b"missing token"})
                return
        await app(scope, receive, send)

    return guarded


async def _serve_http() -> None:
    import uvicorn

    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the same port after a restart
    sock.bind(("127.0.0.1", port))
    sock.listen()
    app: Any = server.streamable_http_app()
    if os.environ.get("DEMO_REQUIRE_HEADER"):
        name, value = os.environ["DEMO_REQUIRE_HEADER"].split(":", 1)
        app = _require_header(app, name, value)
    config = uvicorn.Config(app, log_level="warning")
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    await uvicorn.Server(config).serve(sockets=[sock])


if __name__ == "__main__":
    if "--http" in sys.argv:
        anyio.run(_serve_http)
    else:
        server.run()
