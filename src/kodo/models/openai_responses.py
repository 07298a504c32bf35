"""The OpenAI Responses API (``/responses``), OpenAI's current protocol.

Requests are stateless (``store=False``): the whole conversation is sent each turn as input
items, so a resumed session needs nothing kept on OpenAI's side.
"""

from __future__ import annotations

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
from kodo.models.errors import Endpoint, sdk_errors
from kodo.models.openai_client import openai_client

# Codes of a failed response that another attempt cannot fix.
_FATAL_CODES = {"invalid_prompt", "invalid_request_error", "context_length_exceeded"}


def responses_input(messages: list[Message]) -> tuple[str | None, list[dict[str, Any]]]:
    """The instructions (the leading system prompt) and the conversation as input items."""
    instructions: str | None = None
    items: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        if m.role == "system" and i == 0:
            instructions = m.content
        elif m.role == "system":
            items.append({"role": "developer", "content": m.content})
        elif m.role == "tool":
            items.append(
                {"type": "function_call_output", "call_id": m.tool_call_id, "output": m.content}
            )
        else:
            if m.content or m.role == "user":
                items.append({"role": m.role, "content": m.content})
            items.extend(
                {
                    "type": "function_call",
                    "call_id": c.call_id,
                    "name": c.name,
                    "arguments": c.arguments,
                }
                for c in m.tool_calls
            )
    return instructions, items


def responses_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "name": t.name,
            "description": t.description,
            "parameters": t.parameters,
            "strict": False,
        }
        for t in tools
    ]


def _usage(usage: Any) -> TokenUsage:
    details = getattr(usage, "input_tokens_details", None)
    return TokenUsage(
        input_tokens=usage.input_tokens or 0,
        output_tokens=usage.output_tokens or 0,
        cached_input_tokens=getattr(details, "cached_tokens", None) or 0,
    )


class OpenAIResponsesModel:
    def __init__(self, where: Endpoint, api_key: str) -> None:
        self.provider = where.provider
        self.name = where.model
        self.where = where
        self._client = openai_client(where, api_key)

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[StreamItem]:
        instructions, items = responses_input(messages)
        request: dict[str, Any] = {
            "model": self.name,
            "input": items,
            "stream": True,
            "store": False,
        }
        if instructions is not None:
            request["instructions"] = instructions
        if tools:
            request["tools"] = responses_tools(tools)
        with sdk_errors(self.where):
            events = self._client.responses.create(**request)
        with sdk_errors(self.where, mid_stream=True), events:
            yield from self._read(events)

    def _failed(self, code: str | None, message: str) -> ModelError:
        return ModelError(
            f"{self.where.base_url} reported an error mid-answer: {message} ({code or 'no code'})",
            retryable=code not in _FATAL_CODES,
        )

    def _read(self, events: Any) -> Iterator[StreamItem]:
        calls: list[ToolCallRequest] = []
        for event in events:
            kind = event.type
            if kind == "response.output_text.delta":
                if event.delta:
                    yield TextChunk(event.delta)
            elif kind == "response.output_item.done" and event.item.type == "function_call":
                item = event.item
                calls.append(ToolCallRequest(item.call_id, item.name, item.arguments or ""))
            elif kind in ("response.completed", "response.incomplete"):
                yield from calls
                if event.response.usage is not None:
                    yield _usage(event.response.usage)
                return
            elif kind == "response.failed":
                error = event.response.error
                code = getattr(error, "code", None)
                raise self._failed(code, getattr(error, "message", None) or "the response failed")
            elif kind == "error":
                raise self._failed(event.code, event.message)
        raise ModelError(
            f"the stream from {self.where.base_url} broke off mid-answer "
            "(it ended before response.completed)",
            retryable=True,
        )
