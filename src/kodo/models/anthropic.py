"""The Anthropic Messages API (``/v1/messages``).

The system prompt goes in ``system``; tool calls and results are ``tool_use`` and ``tool_result``
content blocks. Roles must alternate, so consecutive messages of one role are merged (several
tool results become one user message). Cache breakpoints on the system prompt and the newest
block let each turn reuse the previous turn's prefix. Each message's blocks are encoded once
(``encoded.py``) and the stream is read as plain JSON events (``sse.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from kodo.models.base import (
    Message,
    ModelError,
    StreamItem,
    TextChunk,
    TokenUsage,
    ToolCallRequest,
    ToolSpec,
)
from kodo.models.encoded import EncodedMessages, json_object
from kodo.models.errors import Endpoint
from kodo.models.sse import SseConnection

MAX_TOKENS = 8192
API_VERSION = "2023-06-01"
_CACHE = {"type": "ephemeral"}
_CACHE_MEMBER = ',"cache_control":{"type":"ephemeral"}}'


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


def _encode(m: Message) -> list[str]:
    return [json.dumps(block) for block in _blocks(m)]


def _conversation(messages: list[Message], encoded: EncodedMessages) -> str:
    """The alternating ``messages`` as JSON, the newest block marked as a cache breakpoint."""
    turns: list[tuple[str, list[str]]] = []
    talk = [m for m in messages if m.role != "system"]
    for m, blocks in zip(talk, encoded.pieces(talk), strict=True):
        role = "assistant" if m.role == "assistant" else "user"
        if not blocks:
            continue
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(blocks)
        else:
            turns.append((role, list(blocks)))
    if turns:
        last = turns[-1][1]
        last[-1] = last[-1][:-1] + _CACHE_MEMBER  # each block is a JSON object: "{...}"
    parts = (f'{{"role":"{role}","content":[{",".join(blocks)}]}}' for role, blocks in turns)
    return "[" + ",".join(parts) + "]"


def anthropic_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
    ]


class _Usage:
    """Input is reported once at ``message_start`` (split into fresh, cache-read and
    cache-written tokens); ``message_delta`` carries the running output count."""

    def __init__(self) -> None:
        self.fresh = self.cache_read = self.cache_write = self.output = 0

    def update(self, usage: dict[str, Any]) -> None:
        def given(key: str, current: int) -> int:
            value = usage.get(key)
            return current if value is None else value

        self.fresh = given("input_tokens", self.fresh)
        self.cache_read = given("cache_read_input_tokens", self.cache_read)
        self.cache_write = given("cache_creation_input_tokens", self.cache_write)
        self.output = given("output_tokens", self.output)

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
        self._http = SseConnection(where, {"x-api-key": api_key, "anthropic-version": API_VERSION})
        self._encoded = EncodedMessages(_encode)

    def request_body(self, messages: list[Message], tools: list[ToolSpec]) -> bytes:
        rest: dict[str, Any] = {"model": self.name, "max_tokens": MAX_TOKENS, "stream": True}
        system = [m.content for m in messages if m.role == "system" and m.content]
        if system:
            rest["system"] = [
                {"type": "text", "text": "\n\n".join(system), "cache_control": _CACHE}
            ]
        if tools:
            rest["tools"] = anthropic_tools(tools)
        conversation = _conversation(messages, self._encoded)
        return json_object({"messages": conversation}, json.dumps(rest)).encode()

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[StreamItem]:
        body = self.request_body(messages, tools)
        yield from self._http.answer("/v1/messages", body, self._read)

    def _read(self, events: Iterator[tuple[str | None, Any]]) -> Iterator[StreamItem]:
        calls: dict[int, ToolCallRequest] = {}
        given_input: dict[int, Any] = {}
        usage = _Usage()
        for _, event in events:
            kind = event.get("type")
            if kind == "message_start":
                usage.update((event.get("message") or {}).get("usage") or {})
            elif kind == "content_block_start":
                block = event.get("content_block") or {}
                if block.get("type") == "tool_use":
                    calls[event["index"]] = ToolCallRequest(block["id"], block["name"], "")
                    given_input[event["index"]] = block.get("input")
                elif block.get("type") == "text" and block.get("text"):
                    yield TextChunk(block["text"])
            elif kind == "content_block_delta":
                delta = event.get("delta") or {}
                if delta.get("type") == "text_delta" and delta.get("text"):
                    yield TextChunk(delta["text"])
                elif delta.get("type") == "input_json_delta" and event.get("index") in calls:
                    calls[event["index"]].arguments += delta.get("partial_json") or ""
            elif kind == "message_delta":
                usage.update(event.get("usage") or {})
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
