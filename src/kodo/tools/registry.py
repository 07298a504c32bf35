"""Builds the tool schemas the model sees and dispatches its calls, turning every kind of bad
call (malformed JSON, unknown tool, wrong argument types, a tool that raises) into an error
result that says what was wrong, so the loop always goes on.

A tool whose schema comes from elsewhere (an MCP server's tools) sets ``parameters_schema``; the
model then sees that schema instead of one built from ``Args``. Tools that come and go during a
session (an MCP server's list changes) come from an attached ``ToolSource``, asked before each
use of the registry. Between validating a call's arguments and running it, the one approval
step (``tools/approve.py``) asks the session's gate about whatever the tool declares. Each tool
describes its own calls (``describe``), so no renderer needs to know any tool's arguments."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from kodo.models.base import ToolSpec
from kodo.records import RecordError, json_schema, read
from kodo.tools.approve import approve
from kodo.tools.base import Tool, ToolContext, ToolOutput

_ARGS_SCHEMAS: dict[type, dict[str, Any]] = {}  # built once per argument class


def _schema(tool: Tool) -> dict[str, Any]:
    given = getattr(tool, "parameters_schema", None)
    if given is not None:
        return given
    schema = _ARGS_SCHEMAS.get(tool.Args)
    if schema is None:
        schema = _ARGS_SCHEMAS[tool.Args] = json_schema(tool.Args)
    return schema


class ToolSource(Protocol):
    def changed(self) -> list[Any] | None:
        """Its tools now, when they changed since it was last asked; else None."""
        ...


class ToolRegistry:
    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools: dict[str, Tool] = {t.name: t for t in tools}
        self._sources: list[tuple[ToolSource, list[str]]] = []

    def attach(self, source: ToolSource) -> None:
        self._sources.append((source, []))
        self._refresh()

    def _refresh(self) -> None:
        for index, (source, names) in enumerate(self._sources):
            tools = source.changed()
            if tools is None:
                continue
            for name in names:
                self._tools.pop(name, None)
            self._tools.update((t.name, t) for t in tools)
            self._sources[index] = (source, [t.name for t in tools])

    @property
    def names(self) -> list[str]:
        self._refresh()
        return list(self._tools)

    def add(self, tool: Tool) -> None:
        self._tools[tool.name] = tool

    def specs(self) -> list[ToolSpec]:
        self._refresh()
        return [ToolSpec(t.name, t.description, _schema(t)) for t in self._tools.values()]

    def unknown_tool_message(self, name: str) -> str:
        """For a call to a tool that does not exist: often the user's own function or script."""
        known = ", ".join(self._tools)
        runner = next((n for n in ("shell", "bash") if n in self._tools), None)
        how = (
            f" If {name!r} is a function or script of the user's code, run it with {runner} "
            f'(for example: python3 -c "from module import {name}; print({name}(...))").'
            if runner
            else ""
        )
        return f"error: unknown tool {name!r}. The tools are: {known}.{how}"

    def prepare(self, name: str, raw_arguments: str) -> PreparedCall:
        """The call parsed and checked once: its title (in its tool's words; a call no tool can
        describe is its name and the start of its arguments) and what running it does."""
        self._refresh()
        tool = self._tools.get(name)
        untitled = f"{name} {raw_arguments[:80]}"
        try:
            data = json.loads(raw_arguments) if raw_arguments.strip() else {}
        except json.JSONDecodeError as exc:
            error = self.unknown_tool_message(name)
            if tool is not None:
                error = (
                    f"error: the arguments for {name} are not valid JSON ({exc.msg} at position "
                    f"{exc.pos}). Send a JSON object matching the tool's schema."
                )
            return PreparedCall(name, f"{name} (malformed arguments)", error=error)
        if tool is None:
            return PreparedCall(name, untitled, error=self.unknown_tool_message(name))
        if not isinstance(data, dict):
            error = (
                f"error: the arguments for {name} must be a JSON object, got {type(data).__name__}."
            )
            return PreparedCall(name, untitled, error=error)
        try:
            args: Any = read(tool.Args, data)
        except RecordError as exc:
            return PreparedCall(name, untitled, error=f"error: invalid arguments for {name}: {exc}")
        try:
            streams = getattr(tool, "streams", None)
            title, live = tool.describe(args), streams is not None and streams(args)
        except Exception:  # a tool's bug: the call still gets a title, and still runs
            title, live = untitled, False
        return PreparedCall(name, title, live, tool, args)

    def dispatch(self, name: str, raw_arguments: str, ctx: ToolContext) -> ToolOutput:
        return self.prepare(name, raw_arguments).run(ctx)


@dataclass(frozen=True)
class PreparedCall:
    """One call, read once for both its announcement and its run. ``streams``: its output
    arrives while it runs (a foreground command). ``error``: the answer to a call that cannot
    run (unknown tool, malformed or invalid arguments)."""

    name: str
    title: str
    streams: bool = False
    tool: Tool | None = None
    args: Any = None
    error: str | None = None

    def run(self, ctx: ToolContext) -> ToolOutput:
        if self.tool is None:
            return ToolOutput(self.error or f"error: {self.name} cannot run.", ok=False)
        try:
            approved = approve(self.tool, self.args, ctx)
            if isinstance(approved, ToolOutput):  # refused: the tool never runs
                return approved
            return self.tool.run(self.args, approved)
        except Exception as exc:  # a tool bug must not end the session
            return ToolOutput(f"error: {self.name} failed: {type(exc).__name__}: {exc}", ok=False)
