"""Drives ``kodo mcp-server`` the way another MCP client would: the official SDK over stdio."""

from __future__ import annotations

import os
import sys

import anyio


async def _call(arguments: dict[str, str]) -> tuple[list[str], str, bool]:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "kodo", "mcp-server"],
        env={"KODO_HOME": os.environ["KODO_HOME"]},
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        names = [tool.name for tool in (await session.list_tools()).tools]
        result = await session.call_tool("kodo_task", arguments, read_timeout_seconds=120)
    text = "\n".join(block.text for block in result.content if block.type == "text")
    return names, text, result.is_error


def call_kodo_task(arguments: dict[str, str]) -> tuple[list[str], str, bool]:
    """(tool names the server lists, text of the kodo_task result, whether it is an error)."""
    return anyio.run(_call, arguments)
