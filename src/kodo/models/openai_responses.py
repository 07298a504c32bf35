"""The OpenAI Responses API (``/responses``), OpenAI's current protocol.

Requests are stateless (``store=False``): the whole conversation is sent each turn as input
items, so a resumed session needs nothing kept on OpenAI's side. Each message's items are
encoded once (``encoded.py``) and the stream is read as plain JSON events (``sse.py``).
"""

from __future__ import annotations

import json
import os
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

# Codes of a failed response that another attempt cannot fix.
_FATAL_CODES = {"invalid_prompt", "invalid_request_error", "context_length_exceeded"}


def openai_headers(api_key: str) -> dict[str, str]:
    """The key as a bearer token, and the organization and project the OpenAI SDK also takes
    from the environment."""
    headers = {"Authorization": f"Bearer {api_key}"}
    for variable, header in (
        ("OPENAI_ORG_ID", "OpenAI-Organization"),
        ("OPENAI_PROJECT_ID", "OpenAI-Project"),
    ):
        if value := os.environ.get(variable, "").strip():
            headers[header] = value
    return headers


def input_items(m: Message) -> list[dict[str, Any]]:
    """One message as input items (a system message after the first is a developer note)."""
    if m.role == "system":
        return [{"role": "developer", "content": m.content}]
    if m.role == "tool":
        return [{"type": "function_call_output", "call_id": m.tool_call_id, "output": m.content}]
    items: list[dict[str, Any]] = []
    if m.content or m.role == "user":
        items.append({"role": m.role, "content": m.content})
    items.extend(
        {"type": "function_call", "call_id": c.call_id, "name": c.name, "arguments": c.arguments}
        for c in m.tool_calls
    )
    return items


def _encode(m: Message) -> list[str]:
    return [json.dumps(item) for item in input_items(m)]


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


def _usage(usage: dict[str, Any]) -> TokenUsage:
    details = usage.get("input_tokens_details") or {}
    return TokenUsage(
        input_tokens=usage.get("input_tokens") or 0,
        output_tokens=usage.get("output_tokens") or 0,
        cached_input_tokens=details.get("cached_tokens") or 0,
    )


class OpenAIResponsesModel:
    def __init__(self, where: Endpoint, api_key: str) -> None:
        self.provider = where.provider
        self.name = where.model
        self.where = where
        self._http = SseConnection(where, openai_headers(api_key))
        self._encoded = EncodedMessages(_encode)

    def request_body(self, messages: list[Message], tools: list[ToolSpec]) -> bytes:
        """The leading system prompt as ``instructions``, the rest as input items."""
        rest: dict[str, Any] = {"model": self.name, "stream": True, "store": False}
        if messages and messages[0].role == "system":
            rest["instructions"] = messages[0].content
            messages = messages[1:]
        if tools:
            rest["tools"] = responses_tools(tools)
        items = ",".join(p for pieces in self._encoded.pieces(messages) for p in pieces)
        return json_object({"input": f"[{items}]"}, json.dumps(rest)).encode()

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[StreamItem]:
        yield from self._http.answer("/responses", self.request_body(messages, tools), self._read)

    def _failed(self, code: str | None, message: str) -> ModelError:
        return ModelError(
            f"{self.where.base_url} reported an error mid-answer: {message} ({code or 'no code'})",
            retryable=code not in _FATAL_CODES,
        )

    def _read(self, events: Iterator[tuple[str | None, Any]]) -> Iterator[StreamItem]:
        calls: list[ToolCallRequest] = []
        for _, event in events:
            kind = event.get("type")
            if kind == "response.output_text.delta":
                if event.get("delta"):
                    yield TextChunk(event["delta"])
            elif kind == "response.output_item.done":
                item = event.get("item") or {}
                if item.get("type") == "function_call":
                    calls.append(
                        ToolCallRequest(item["call_id"], item["name"], item.get("arguments") or "")
                    )
            elif kind in ("response.completed", "response.incomplete"):
                yield from calls
                usage = (event.get("response") or {}).get("usage")
                if usage is not None:
                    yield _usage(usage)
                return
            elif kind == "response.failed":
                error = (event.get("response") or {}).get("error") or {}
                raise self._failed(error.get("code"), error.get("message") or "the response failed")
            elif kind == "error":
                raise self._failed(event.get("code"), event.get("message") or "no message")
        raise ModelError(
            f"the stream from {self.where.base_url} broke off mid-answer "
            "(it ended before response.completed)",
            retryable=True,
        )
