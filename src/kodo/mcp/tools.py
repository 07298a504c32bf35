"""MCP server tools as kodo tools: named ``SERVER__tool``, described and typed by the server.

The model sees the server's JSON schema rewritten for its provider (``schema.for_provider``);
the arguments are checked against the server's own schema before anything else, so a call that
would fail never reaches the person's approval prompt. Each call declares itself for the
registry's approval step (``approval``): it runs in the server's process, outside kodo's
sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kodo.mcp.manager import McpCallError, McpManager, McpToolInfo
from kodo.mcp.names import unique_name
from kodo.mcp.schema import argument_problem, for_provider
from kodo.sandbox.base import McpCall
from kodo.tools.base import Approval, ToolContext, ToolOutput


@dataclass
class McpArguments:
    """Any JSON object: checked against the server's schema in ``run``."""

    EXTRA: ClassVar[str] = "keep"
    extra: dict[str, Any] = field(default_factory=dict, init=False)


def _hints(info: McpToolInfo) -> str | None:
    """What the server says about the tool, in words, for the approval prompt."""
    if info.read_only:
        said = "read-only"
    elif info.destructive:
        said = "may delete or overwrite things"
    elif info.destructive is False:
        said = "changes things, but nothing destructive"
    else:
        return None
    if info.open_world is not None:
        said += ", reaches outside services" if info.open_world else ", local only"
    return said


class McpTool:
    Args: ClassVar[type] = McpArguments

    def __init__(
        self, name: str, info: McpToolInfo, manager: McpManager, provider: Callable[[], str]
    ) -> None:
        self.name = name
        self.description = (
            info.description or f"The {info.name!r} tool of MCP server {info.server!r}."
        )
        self.info = info
        self._manager = manager
        self._provider = provider

    @property
    def parameters_schema(self) -> dict[str, Any]:
        """For the session's provider now (``/model`` may change it)."""
        return for_provider(self.info.input_schema, self._provider())

    def describe(self, args: McpArguments) -> str:
        arguments = json.dumps(args.extra, ensure_ascii=False)
        return f"{self.info.server}.{self.info.name} {arguments[:80]}"

    def approval(self, args: McpArguments, ctx: ToolContext) -> Approval | None:
        """Every call runs outside the sandbox, so each is judged; one the server's schema
        refuses is not asked about (``run`` says what is wrong)."""
        if argument_problem(self.info.input_schema, args.extra) is not None:
            return None
        call = McpCall(
            server=self.info.server,
            tool=self.info.name,
            qualified=self.name,
            arguments=json.dumps(args.extra, ensure_ascii=False, indent=2),
            read_only=self.info.read_only,
            destructive=self.info.destructive,
            open_world=self.info.open_world,
            hints=_hints(self.info),
        )
        return Approval(call)

    def run(self, args: McpArguments, ctx: ToolContext) -> ToolOutput:
        arguments = dict(args.extra)
        problem = argument_problem(self.info.input_schema, arguments)
        if problem is not None:
            return ToolOutput(f"error: invalid arguments for {self.name}: {problem}", ok=False)
        try:
            result = self._manager.call(self.info.server, self.info.name, arguments)
        except McpCallError as exc:
            return ToolOutput(f"error: {exc}", ok=False)
        return ToolOutput(result.text, ok=not result.is_error)


class McpToolSet:
    """The MCP tools on offer, rebuilt whenever a server's tool list changed (a ``ToolSource``
    of the registry). ``taken`` holds kodo's own tool names, which MCP tools never replace."""

    def __init__(self, manager: McpManager, taken: set[str], provider: Callable[[], str]) -> None:
        self._manager = manager
        self._taken = set(taken)
        self._provider = provider
        self._generation: int | None = None

    def changed(self) -> list[McpTool] | None:
        """The tools now, when they changed since the last time asked; else None."""
        generation = self._manager.generation
        if generation == self._generation:
            return None
        self._generation = generation
        return self.build()

    def build(self) -> list[McpTool]:
        names = set(self._taken)
        tools = []
        for info in self._manager.tools:
            name = unique_name(info.server, info.name, names)
            names.add(name)
            tools.append(McpTool(name, info, self._manager, self._provider))
        return tools
