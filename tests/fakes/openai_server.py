"""A scripted OpenAI-compatible server: ``/v1/chat/completions`` and ``/v1/responses``, streamed
the way the real API streams them, so both OpenAI providers run against it unchanged."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.fakes.http import ScriptedServer, Sse, Wire, error_type, pieces, token_counts
from tests.fakes.script import Entry, Reply


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


class ChatCompletionsWire:
    def _chunks(self, request: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
        base = {
            "id": _id("chatcmpl"),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request.get("model", ""),
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {**base, "choices": [choice]}

        return [chunk({"role": "assistant", "content": ""})], (base, chunk)

    def reply(self, reply: Reply, request: dict[str, Any]) -> list[Sse]:
        chunks, (base, chunk) = self._chunks(request)
        chunks += [chunk({"content": piece}) for piece in pieces(reply.text)]
        for index, call in enumerate(reply.tool_calls):
            function = {"name": call.name, "arguments": ""}
            start = {"index": index, "id": _id("call"), "type": "function", "function": function}
            chunks.append(chunk({"tool_calls": [start]}))
            chunks += [
                chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                for piece in pieces(call.arguments_json)
            ]
        chunks.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
        if (request.get("stream_options") or {}).get("include_usage"):
            output = reply.text + "".join(c.arguments_json for c in reply.tool_calls)
            prompt, completion = token_counts(request, output)
            usage = {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": reply.cached_tokens},
            }
            chunks.append({**base, "choices": [], "usage": usage})
        return [*(Sse(None, c) for c in chunks), Sse(None, "[DONE]")]

    def cut(self, text: str, request: dict[str, Any]) -> list[Sse]:
        chunks, (_, chunk) = self._chunks(request)
        chunks += [chunk({"content": piece}) for piece in pieces(text)]
        return [Sse(None, c) for c in chunks]


class _ResponseEvents:
    """Builds one Responses stream; every event carries the next ``sequence_number``."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.request = request
        self.events: list[Sse] = []
        self.output: list[dict[str, Any]] = []
        self.response = {
            "id": _id("resp"),
            "object": "response",
            "created_at": int(time.time()),
            "model": request.get("model", ""),
            "status": "in_progress",
            "output": [],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": request.get("tools", []),
        }
        self.emit("response.created", response=dict(self.response))

    def emit(self, kind: str, **fields: Any) -> None:
        data = {"type": kind, "sequence_number": len(self.events), **fields}
        self.events.append(Sse(kind, data))

    def message(self, text: str, *, finish: bool) -> None:
        item = {"id": _id("msg"), "type": "message", "role": "assistant", "content": []}
        where = {"item_id": item["id"], "output_index": len(self.output)}
        self.emit("response.output_item.added", output_index=where["output_index"], item=item)
        part = {"type": "output_text", "text": "", "annotations": []}
        self.emit("response.content_part.added", **where, content_index=0, part=part)
        for piece in pieces(text):
            self.emit("response.output_text.delta", **where, content_index=0, delta=piece)
        if not finish:
            return
        self.emit("response.output_text.done", **where, content_index=0, text=text)
        part = {**part, "text": text}
        self.emit("response.content_part.done", **where, content_index=0, part=part)
        done = {**item, "status": "completed", "content": [part]}
        self.emit("response.output_item.done", output_index=where["output_index"], item=done)
        self.output.append(done)

    def function_call(self, name: str, arguments: str) -> None:
        item = {
            "id": _id("fc"),
            "type": "function_call",
            "call_id": _id("call"),
            "name": name,
            "arguments": "",
            "status": "in_progress",
        }
        where = {"item_id": item["id"], "output_index": len(self.output)}
        self.emit("response.output_item.added", output_index=where["output_index"], item=item)
        for piece in pieces(arguments):
            self.emit("response.function_call_arguments.delta", **where, delta=piece)
        self.emit("response.function_call_arguments.done", **where, arguments=arguments)
        done = {**item, "arguments": arguments, "status": "completed"}
        self.emit("response.output_item.done", output_index=where["output_index"], item=done)
        self.output.append(done)

    def completed(self, output_text: str, cached_tokens: int) -> None:
        prompt, completion = token_counts(self.request, output_text)
        usage = {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": cached_tokens},
            "output_tokens": completion,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion,
        }
        final = {**self.response, "status": "completed", "output": self.output, "usage": usage}
        self.emit("response.completed", response=final)


class ResponsesWire:
    def reply(self, reply: Reply, request: dict[str, Any]) -> list[Sse]:
        stream = _ResponseEvents(request)
        if reply.text:
            stream.message(reply.text, finish=True)
        for call in reply.tool_calls:
            stream.function_call(call.name, call.arguments_json)
        output = reply.text + "".join(c.arguments_json for c in reply.tool_calls)
        stream.completed(output, reply.cached_tokens)
        return stream.events

    def cut(self, text: str, request: dict[str, Any]) -> list[Sse]:
        stream = _ResponseEvents(request)
        stream.message(text, finish=False)
        return stream.events


class ScriptedOpenAIServer(ScriptedServer):
    auth_header = "Authorization"
    base_path = "/v1"

    def __init__(self, script: list[Entry]) -> None:
        super().__init__(script)
        self._routes: dict[str, Wire] = {
            "/v1/chat/completions": ChatCompletionsWire(),
            "/v1/responses": ResponsesWire(),
        }

    def routes(self) -> dict[str, Wire]:
        return self._routes

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        error = {"message": message, "type": error_type(status), "param": None, "code": None}
        return {"error": error}

    def __enter__(self) -> ScriptedOpenAIServer:
        super().__enter__()
        return self
