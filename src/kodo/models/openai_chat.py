"""Chat Completions (``/chat/completions``): OpenAI's older protocol, and the one vLLM, llama.cpp,
LM Studio and Ollama speak. Each message is encoded once (``encoded.py``) and the stream is read
as plain JSON chunks (``sse.py``)."""

from __future__ import annotations

import json
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
from kodo.models.encoded import EncodedMessages, json_object
from kodo.models.errors import Endpoint
from kodo.models.openai_responses import openai_headers
from kodo.models.sse import SseConnection


def chat_message(m: Message) -> dict[str, Any]:
    if m.role == "tool":
        return {"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content}
    if m.role == "assistant" and m.tool_calls:
        return {
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
    return {"role": m.role, "content": m.content}


def _encode(m: Message) -> list[str]:
    return [json.dumps(chat_message(m))]


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

    def add(self, delta: dict[str, Any]) -> None:
        index = delta.get("index")
        if index is None:
            index = len(self.calls) if delta.get("id") or not self.calls else max(self.calls)
        call = self.calls.setdefault(index, _PartialCall())
        if delta.get("id") and not call.call_id:
            call.call_id = delta["id"]
        function = delta.get("function")
        if function:
            if function.get("name") and not call.name:
                call.name = function["name"]
            if function.get("arguments"):
                call.arguments += function["arguments"]

    def finished(self) -> list[ToolCallRequest]:
        return [
            ToolCallRequest(
                call_id=c.call_id or f"call_{uuid.uuid4().hex[:24]}",
                name=c.name,
                arguments=c.arguments,
            )
            for _, c in sorted(self.calls.items())
        ]


def _usage(usage: dict[str, Any]) -> TokenUsage:
    details = usage.get("prompt_tokens_details") or {}
    return TokenUsage(
        input_tokens=usage.get("prompt_tokens") or 0,
        output_tokens=usage.get("completion_tokens") or 0,
        cached_input_tokens=details.get("cached_tokens") or 0,
    )


class OpenAIChatModel:
    def __init__(
        self, where: Endpoint, api_key: str, *, options: dict[str, Any] | None = None
    ) -> None:
        self.provider = where.provider
        self.name = where.model
        self.where = where
        self.options = options or {}
        self._http = SseConnection(where, openai_headers(api_key))
        self._encoded = EncodedMessages(_encode)

    def request_body(self, messages: list[Message], tools: list[ToolSpec]) -> bytes:
        rest: dict[str, Any] = {
            "model": self.name,
            "stream": True,
            "stream_options": {"include_usage": True},
            **self.options,
        }
        if tools:
            rest["tools"] = chat_tools(tools)
        encoded = ",".join(p for pieces in self._encoded.pieces(messages) for p in pieces)
        return json_object({"messages": f"[{encoded}]"}, json.dumps(rest)).encode()

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[StreamItem]:
        body = self.request_body(messages, tools)
        yield from self._http.answer("/chat/completions", body, self._read)

    def _read(self, chunks: Iterator[tuple[str | None, Any]]) -> Iterator[StreamItem]:
        calls = _CallAssembler()
        finish: str | None = None
        usage: TokenUsage | None = None
        for _, chunk in chunks:
            if chunk.get("usage") is not None:
                usage = _usage(chunk["usage"])
            for choice in chunk.get("choices") or []:
                delta = choice.get("delta")
                if delta:
                    if delta.get("content"):
                        yield TextChunk(delta["content"])
                    for call in delta.get("tool_calls") or []:
                        calls.add(call)
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
        if finish is None:
            raise ModelError(
                f"the stream from {self.where.base_url} broke off mid-answer "
                "(it ended without a finish_reason)",
                retryable=True,
            )
        yield from calls.finished()
        if usage is not None:
            yield usage
