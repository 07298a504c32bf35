"""The Anthropic Messages API (``/v1/messages``).

The system prompt goes in ``system``; tool calls and results are ``tool_use`` and ``tool_result``
content blocks. Roles must alternate, so consecutive messages of one role are merged (several
tool results become one user message). Cache breakpoints on the system prompt and the newest
block let each turn reuse the previous turn's prefix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic

from kodo.models.base import (
    Message,
    ModelError,
    StreamItem,
    TextChunk,
    TokenUsage,
    ToolCallRequest,
    ToolSpec,
)
from kodo.models.errors import Endpoint, sdk_errors

MAX_TOKENS = 8192
_CACHE = {"type": "ephemeral"}


def _tool_input(arguments: str) -> dict[str, Any]:
    """``tool_use.input`` must be an object; malformed arguments are kept as text so the model
    still sees what it sent (its tool result says what was wrong)."""
    try:
        value = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return {"unparsed_arguments": arguments}
    return value if isinstance(value, dict) else {"unparsed_arguments": arguments}


def _blocks(m: Message) -> list[dict[str, Any]]:
    if m.role == "tool":
        block: dict[str, Any] = {"type": "tool_result", "tool_use_id": m.tool_call_id}
        if m.content:
            block["content"] = m.content
        return [block]
    blocks: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
    blocks.extend(
        {"type": "tool_use", "id": c.call_id, "name": c.name, "input": _tool_input(c.arguments)}
        for c in m.tool_calls
    )
    return blocks


def anthropic_request(
    messages: list[Message],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``system`` blocks and the alternating ``messages``."""
    system = [m.content for m in messages if m.role == "system" and m.content]
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        role = "assistant" if m.role == "assistant" else "user"
        blocks = _blocks(m)
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    if out:
        out[-1]["content"][-1]["cache_control"] = _CACHE
    system_blocks = [{"type": "text", "text": "\n\n".join(system), "cache_control": _CACHE}]
    return (system_blocks if system else []), out


def anthropic_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
    ]


class _Usage:
    """Input is reported once at ``message_start`` (split into fresh, cache-read and
    cache-written tokens); ``message_delta`` carries the running output count."""

    def __init__(self) -> None:
        self.fresh = self.cache_read = self.cache_write = self.output = 0

    def update(self, usage: Any) -> None:
        if getattr(usage, "input_tokens", None) is not None:
            self.fresh = usage.input_tokens
        if getattr(usage, "cache_read_input_tokens", None) is not None:
            self.cache_read = usage.cache_read_input_tokens
        if getattr(usage, "cache_creation_input_tokens", None) is not None:
            self.cache_write = usage.cache_creation_input_tokens
        if getattr(usage, "output_tokens", None) is not None:
            self.output = usage.output_tokens

    def total(self) -> TokenUsage:
        return TokenUsage(
            input_tokens=self.fresh + self.cache_read + self.cache_write,
            output_tokens=self.output,
            cached_input_tokens=self.cache_read,
        )


class AnthropicModel:
    def __init__(self, where: Endpoint, api_key: str) -> None:
        self.provider = where.provider
        self.name = where.model
        self.where = where
        self._client = anthropic.Anthropic(
            api_key=api_key, base_url=where.base_url, timeout=where.timeout_s, max_retries=0
        )

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[StreamItem]:
        system, conversation = anthropic_request(messages)
        request: dict[str, Any] = {
            "model": self.name,
            "max_tokens": MAX_TOKENS,
            "messages": conversation,
            "stream": True,
        }
        if system:
            request["system"] = system
        if tools:
            request["tools"] = anthropic_tools(tools)
        with sdk_errors(self.where):
            events = self._client.messages.create(**request)
        with sdk_errors(self.where, mid_stream=True), events:
            yield from self._read(events)

    def _read(self, events: Any) -> Iterator[StreamItem]:
        calls: dict[int, ToolCallRequest] = {}
        given_input: dict[int, Any] = {}
        usage = _Usage()
        for event in events:
            kind = event.type
            if kind == "message_start":
                usage.update(event.message.usage)
            elif kind == "content_block_start":
                block = event.content_block
                if block.type == "tool_use":
                    calls[event.index] = ToolCallRequest(block.id, block.name, "")
                    given_input[event.index] = block.input
                elif block.type == "text" and block.text:
                    yield TextChunk(block.text)
            elif kind == "content_block_delta":
                delta = event.delta
                if delta.type == "text_delta" and delta.text:
                    yield TextChunk(delta.text)
                elif delta.type == "input_json_delta" and event.index in calls:
                    calls[event.index].arguments += delta.partial_json
            elif kind == "message_delta":
                usage.update(event.usage)
            elif kind == "message_stop":
                for index, call in sorted(calls.items()):
                    if not call.arguments:
                        call.arguments = json.dumps(given_input[index] or {})
                    yield call
                yield usage.total()
                return
        raise ModelError(
            f"the stream from {self.where.base_url} broke off mid-answer "
            "(it ended before message_stop)",
            retryable=True,
        )
