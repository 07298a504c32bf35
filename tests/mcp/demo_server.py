"""A tiny real MCP server for the tests, built with the official SDK.

``python demo_server.py`` serves over stdio; ``python demo_server.py --http`` serves streamable
HTTP on 127.0.0.1 at an ephemeral port and prints ``PORT <n>`` once it is listening.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import anyio
from mcp.server.mcpserver import Image, MCPServer
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


async def _serve_http() -> None:
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    app = server.streamable_http_app()
    config = uvicorn.Config(app, log_level="warning")
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    await uvicorn.Server(config).serve(sockets=[sock])


if __name__ == "__main__":
    if "--http" in sys.argv:
        anyio.run(_serve_http)
    else:
        server.run()
