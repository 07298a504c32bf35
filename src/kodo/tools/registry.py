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
from typing import Any, Protocol

from kodo.models.base import ToolSpec
from kodo.records import RecordError, json_schema, read
from kodo.tools.approve import approve
from kodo.tools.base import CallTitle, Tool, ToolContext, ToolOutput

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

    def describe(self, name: str, raw_arguments: str) -> CallTitle:
        """How a call is shown, in its tool's words; a call no tool can describe (unknown,
        malformed, invalid arguments) is its name and the start of its arguments."""
        self._refresh()
        tool = self._tools.get(name)
        try:
            data = json.loads(raw_arguments) if raw_arguments.strip() else {}
        except json.JSONDecodeError:
            return CallTitle(f"{name} (malformed arguments)")
        if tool is not None and isinstance(data, dict):
            try:
                args: Any = read(tool.Args, data)
                streams = getattr(tool, "streams", None)
                return CallTitle(tool.describe(args), streams is not None and streams(args))
            except Exception:  # invalid arguments, or a tool's bug: the call still gets a title
                pass
        return CallTitle(f"{name} {raw_arguments[:80]}")

    def dispatch(self, name: str, raw_arguments: str, ctx: ToolContext) -> ToolOutput:
        self._refresh()
        tool = self._tools.get(name)
        if tool is None:
            return ToolOutput(self.unknown_tool_message(name), ok=False)
        try:
            data = json.loads(raw_arguments) if raw_arguments.strip() else {}
        except json.JSONDecodeError as exc:
            return ToolOutput(
                f"error: the arguments for {name} are not valid JSON ({exc.msg} at position "
                f"{exc.pos}). Send a JSON object matching the tool's schema.",
                ok=False,
            )
        if not isinstance(data, dict):
            return ToolOutput(
                f"error: the arguments for {name} must be a JSON object, "
                f"got {type(data).__name__}.",
                ok=False,
            )
        try:
            args: Any = read(tool.Args, data)
        except RecordError as exc:
            return ToolOutput(f"error: invalid arguments for {name}: {exc}", ok=False)
        try:
            approved = approve(tool, args, ctx)
            if isinstance(approved, ToolOutput):  # refused: the tool never runs
                return approved
            return tool.run(args, approved)
        except Exception as exc:  # a tool bug must not end the session
            return ToolOutput(f"error: {name} failed: {type(exc).__name__}: {exc}", ok=False)
