"""A scripted Anthropic server: ``/v1/messages``, streamed as the Messages API streams.

``base_url`` has no path: kodo (like the anthropic SDK) appends ``/v1/messages`` itself."""

from __future__ import annotations

import uuid
from typing import Any

from tests.fakes.http import ScriptedServer, Sse, Wire, error_type, pieces, token_counts
from tests.fakes.script import Entry, Reply


class _MessageEvents:
    def __init__(self, request: dict[str, Any], cached_tokens: int = 0) -> None:
        self.request = request
        self.events: list[Sse] = []
        self.blocks = 0
        prompt, _ = token_counts(request, "")
        cached = min(cached_tokens, prompt)
        message = {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": request.get("model", ""),
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": prompt - cached,
                "output_tokens": 1,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": cached,
            },
        }
        self.emit("message_start", message=message)
        self.emit("ping")

    def emit(self, kind: str, **fields: Any) -> None:
        self.events.append(Sse(kind, {"type": kind, **fields}))

    def block(self, start: dict[str, Any], deltas: list[dict[str, Any]], *, finish: bool) -> None:
        index = self.blocks
        self.blocks += 1
        self.emit("content_block_start", index=index, content_block=start)
        for delta in deltas:
            self.emit("content_block_delta", index=index, delta=delta)
        if finish:
            self.emit("content_block_stop", index=index)

    def text(self, text: str, *, finish: bool = True) -> None:
        deltas = [{"type": "text_delta", "text": piece} for piece in pieces(text)]
        self.block({"type": "text", "text": ""}, deltas, finish=finish)

    def tool_use(self, name: str, arguments: str) -> None:
        start = {"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:24]}", "name": name}
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces(arguments)]
        self.block({**start, "input": {}}, deltas, finish=True)

    def stop(self, reason: str, output_text: str) -> None:
        _, completion = token_counts(self.request, output_text)
        delta = {"stop_reason": reason, "stop_sequence": None}
        self.emit("message_delta", delta=delta, usage={"output_tokens": completion})
        self.emit("message_stop")


class MessagesWire:
    def reply(self, reply: Reply, request: dict[str, Any]) -> list[Sse]:
        stream = _MessageEvents(request, reply.cached_tokens)
        if reply.text:
            stream.text(reply.text)
        for call in reply.tool_calls:
            stream.tool_use(call.name, call.arguments_json)
        output = reply.text + "".join(c.arguments_json for c in reply.tool_calls)
        stream.stop("tool_use" if reply.tool_calls else "end_turn", output)
        return stream.events

    def cut(self, text: str, request: dict[str, Any]) -> list[Sse]:
        stream = _MessageEvents(request)
        stream.text(text, finish=False)
        return stream.events


class ScriptedAnthropicServer(ScriptedServer):
    auth_header = "x-api-key"
    base_path = ""

    def __init__(self, script: list[Entry]) -> None:
        super().__init__(script)
        self._routes: dict[str, Wire] = {"/v1/messages": MessagesWire()}

    def routes(self) -> dict[str, Wire]:
        return self._routes

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"type": "error", "error": {"type": error_type(status), "message": message}}

    def __enter__(self) -> ScriptedAnthropicServer:
        super().__enter__()
        return self
