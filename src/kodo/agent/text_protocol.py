"""Tool calls as text, for servers and models without native tool calling.

In ``text`` mode the tools are described in the system prompt and the model writes calls in
Hermes/Qwen ``<tool_call>`` tags (the form most open models were trained on). Calls a model wrote
as text, in any mode, go back to it as the text it wrote, and their results as user messages:
servers that validate tool messages reject results for calls they never saw."""

from __future__ import annotations

import json
from typing import Any

from kodo.models.base import Message, ToolSpec
from kodo.models.text_calls import RESULT_TAG, TextCall, parse_text_calls

CALL_EXAMPLE = '<tool_call>\n{"name": "bash", "arguments": {"command": "ls"}}\n</tool_call>'


def _params(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    parts = []
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type") or "/".join(p.get("type", "?") for p in prop.get("anyOf", []))
        mark = "" if name in required else ", optional"
        parts.append(f"{name} ({kind}{mark})")
    return ", ".join(parts) or "no arguments"


def tools_prompt(specs: list[ToolSpec]) -> str:
    lines = [
        "# Tools",
        "Call a tool by writing a JSON object inside <tool_call> tags, then stop and wait for "
        "its result, for example:",
        CALL_EXAMPLE.replace("bash", specs[0].name) if specs else CALL_EXAMPLE,
        "Available tools:",
    ]
    for spec in specs:
        lines.append(f"- {spec.name}: {spec.description} Arguments: {_params(spec.parameters)}.")
    return "\n".join(lines)


def result_message(name: str, output: str) -> Message:
    return Message("user", f"{RESULT_TAG}\n[{name}]\n{output}\n</tool_response>")


def render(messages: list[Message], *, text_mode: bool, specs: list[ToolSpec]) -> list[Message]:
    """The conversation as the server should get it: text calls as text, and in ``text`` mode
    the tool descriptions appended to the system prompt."""
    out: list[Message] = []
    text_ids: set[str] = set()
    for m in messages:
        if m.role == "assistant" and any(c.from_text for c in m.tool_calls):
            text_ids.update(c.call_id for c in m.tool_calls)
            out.append(Message("assistant", m.content or _as_text(m)))
        elif m.role == "tool" and m.tool_call_id in text_ids:
            out.append(result_message(m.name or "tool", m.content))
        else:
            out.append(m)
    if text_mode and out and out[0].role == "system":
        out[0] = Message("system", f"{out[0].content}\n\n{tools_prompt(specs)}\n")
    return out


def _as_text(m: Message) -> str:
    return calls_text([(c.name, c.arguments) for c in m.tool_calls])


def calls_text(calls: list[tuple[str, str]]) -> str:
    """Calls written the way the text protocol asks for them."""
    return "\n".join(
        f'<tool_call>\n{{"name": {json.dumps(name)}, "arguments": {arguments or "{}"}}}\n'
        "</tool_call>"
        for name, arguments in calls
    )


class RepeatGuard:
    """Watches a reply as it streams and says when to stop it: a small model at temperature 0
    can fall into writing the same tool calls over and over until its token limit (minutes on a
    CPU). The calls before the first repeat are kept; the rest of the reply is dropped."""

    MAX_CALLS = 8
    _ENDINGS = ("```", "</tool_call>", "}")

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.parts: list[str] = []
        self.kept: list[TextCall] | None = None  # set once the reply was cut

    def kept_text(self) -> str:
        """The cut reply as it is kept: its calls, without the repetition."""
        return calls_text([(c.name, c.arguments) for c in self.kept or []])

    def feed(self, chunk: str) -> bool:
        """Add a piece of the reply; True when the stream should stop."""
        self.parts.append(chunk)
        if not any(end in chunk for end in self._ENDINGS):
            return False
        calls = parse_text_calls("".join(self.parts), self.names).calls
        seen: set[TextCall] = set()
        for index, call in enumerate(calls):
            if call in seen or index == self.MAX_CALLS:
                self.kept = calls[:index]
                return True
            seen.add(call)
        return False
