"""MCP server tools as kodo tools: named ``SERVER__tool``, described and typed by the server.

The server's own JSON schema is what the model sees (``parameters_schema``); kodo only checks
that the arguments are a JSON object and leaves the rest to the server, which reports bad
arguments as an error result. Calls go through the approval policy like shell commands do.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from kodo.mcp.manager import McpCallError, McpManager, McpToolInfo
from kodo.mcp.names import unique_name
from kodo.sandbox.base import ApprovalRequest
from kodo.tools.base import ToolContext, ToolOutput

_ASKING_POLICIES = ("untrusted", "on-request")


class McpArguments(BaseModel):
    """Any JSON object: the server validates against its own schema."""

    model_config = ConfigDict(extra="allow")


class McpTool:
    Args: ClassVar[type[BaseModel]] = McpArguments

    def __init__(
        self, name: str, info: McpToolInfo, manager: McpManager, approved: set[str]
    ) -> None:
        self.name = name
        self.description = (
            info.description or f"The {info.name!r} tool of MCP server {info.server!r}."
        )
        self.parameters_schema = _object_schema(info.input_schema)
        self._info = info
        self._manager = manager
        self._approved = approved

    def run(self, args: McpArguments, ctx: ToolContext) -> ToolOutput:
        arguments = dict(args.model_extra or {})
        refusal = self._check_approval(arguments, ctx)
        if refusal is not None:
            return ToolOutput(refusal, ok=False)
        try:
            result = self._manager.call(self._info.server, self._info.name, arguments)
        except McpCallError as exc:
            return ToolOutput(f"error: {exc}", ok=False)
        meta = {"mcp_server": self._info.server, "mcp_tool": self._info.name}
        return ToolOutput(result.text, ok=not result.is_error, metadata=meta)

    def _check_approval(self, arguments: dict[str, Any], ctx: ToolContext) -> str | None:
        """The refusal message, or None when the call may go ahead."""
        policy = ctx.config.approval_policy
        if policy not in _ASKING_POLICIES or self.name in self._approved:
            return None
        if ctx.approver is None:
            return (
                f"error: calling MCP tool {self.name} needs approval under approval_policy "
                f"{policy!r}, and there is no one to ask in this session. It was not called."
            )
        request = ApprovalRequest(
            argv=[self.name, json.dumps(arguments, ensure_ascii=False)],
            cwd=ctx.cwd,
            reason="MCP tool call",
            escalate=False,
        )
        answer, note = ctx.approver.ask(request)
        if answer == "always":
            self._approved.add(self.name)
        if answer == "no":
            why = f": {note}" if note else "."
            return f"error: the user declined the call to MCP tool {self.name}{why}"
        return None


def _object_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Providers want an object schema with ``properties``; servers sometimes omit them."""
    out = dict(schema) if schema.get("type") == "object" else {"type": "object"}
    out.setdefault("properties", {})
    return out


def mcp_tools(manager: McpManager, taken: set[str] | None = None) -> list[McpTool]:
    """One kodo tool per tool of every running server, sharing one "always approved" set."""
    names = set(taken or ())
    approved: set[str] = set()
    tools = []
    for info in manager.tools:
        name = unique_name(info.server, info.name, names)
        names.add(name)
        tools.append(McpTool(name, info, manager, approved))
    return tools
