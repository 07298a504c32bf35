"""Chat Completions (``/chat/completions``): OpenAI's older protocol, and the one vLLM, llama.cpp,
LM Studio and Ollama speak."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
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
from kodo.models.errors import Endpoint, sdk_errors
from kodo.models.openai_client import openai_client


def chat_messages(messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            out.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content})
        elif m.role == "assistant" and m.tool_calls:
            out.append(
                {
                    "role": "assistant",
                    "content": m.content or None,
                    "tool_calls": [
                        {
                            "id": c.call_id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": c.arguments},
                        }
                        for c in m.tool_calls
                    ],
                }
            )
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def chat_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


@dataclass
class _PartialCall:
    call_id: str = ""
    name: str = ""
    arguments: str = ""


class _CallAssembler:
    """Tool calls arrive as deltas keyed by index: id and name first, arguments in pieces.
    Some servers omit the index; a delta with an id then starts a new call."""

    def __init__(self) -> None:
        self.calls: dict[int, _PartialCall] = {}

    def add(self, delta: Any) -> None:
        index = delta.index
        if index is None:
            index = len(self.calls) if delta.id or not self.calls else max(self.calls)
        call = self.calls.setdefault(index, _PartialCall())
        if delta.id and not call.call_id:
            call.call_id = delta.id
        function = delta.function
        if function is not None:
            if function.name and not call.name:
                call.name = function.name
            if function.arguments:
                call.arguments += function.arguments

    def finished(self) -> list[ToolCallRequest]:
        return [
            ToolCallRequest(
                call_id=c.call_id or f"call_{uuid.uuid4().hex[:24]}",
                name=c.name,
                arguments=c.arguments,
            )
            for _, c in sorted(self.calls.items())
        ]


def _usage(usage: Any) -> TokenUsage:
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) or 0
    return TokenUsage(
        input_tokens=usage.prompt_tokens or 0,
        output_tokens=usage.completion_tokens or 0,
        cached_input_tokens=cached,
    )


class OpenAIChatModel:
    def __init__(
        self, where: Endpoint, api_key: str, *, options: dict[str, Any] | None = None
    ) -> None:
        self.provider = where.provider
        self.name = where.model
        self.where = where
        self.options = options or {}
        self._client = openai_client(where, api_key)

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[StreamItem]:
        request: dict[str, Any] = {
            "model": self.name,
            "messages": chat_messages(messages),
            "stream": True,
            "stream_options": {"include_usage": True},
            **self.options,
        }
        if tools:
            request["tools"] = chat_tools(tools)
        with sdk_errors(self.where):
            chunks = self._client.chat.completions.create(**request)
        with sdk_errors(self.where, mid_stream=True), chunks:
            yield from self._read(chunks)

    def _read(self, chunks: Any) -> Iterator[StreamItem]:
        calls = _CallAssembler()
        finish: str | None = None
        usage: TokenUsage | None = None
        for chunk in chunks:
            if chunk.usage is not None:
                usage = _usage(chunk.usage)
            for choice in chunk.choices or []:
                delta = choice.delta
                if delta is not None:
                    if delta.content:
                        yield TextChunk(delta.content)
                    for call in delta.tool_calls or []:
                        calls.add(call)
                if choice.finish_reason:
                    finish = choice.finish_reason
        if finish is None:
            raise ModelError(
                f"the stream from {self.where.base_url} broke off mid-answer "
                "(it ended without a finish_reason)",
                retryable=True,
            )
        yield from calls.finished()
        if usage is not None:
            yield usage
