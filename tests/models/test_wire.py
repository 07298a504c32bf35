"""The wire under every provider: one kept-alive connection for a whole session, a connection the
server closed while idle reopened without a retry, and request bodies assembled from messages
encoded once that equal bodies encoded from scratch."""

from __future__ import annotations

import json
import time

from kodo.models.base import Message, ToolCallRequest
from tests.fakes.script import Reply
from tests.models.conftest import PROMPT, SHELL, Provider


def _conversation(turns: int) -> list[Message]:
    messages = [Message("system", "You are a test."), Message("user", "do the thing")]
    for i in range(turns):
        call = ToolCallRequest(f"call_{i}", "shell", json.dumps({"command": f"echo {i}"}))
        messages.append(Message("assistant", f"step {i}" if i % 2 else "", tool_calls=[call]))
        messages.append(Message("tool", f"exit 0\n{i}\n", tool_call_id=f"call_{i}", name="shell"))
    messages.append(Message("system", "a note from kodo"))
    messages.append(Message("user", "and now?"))
    return messages


def test_one_connection_serves_every_turn(provider: Provider) -> None:
    with provider.server([Reply(text=f"answer {i}") for i in range(3)]) as srv:
        model = provider.model(srv.base_url)
        texts = [provider.run(model).text for _ in range(3)]
        assert srv.connections == 1
    assert texts == ["answer 0", "answer 1", "answer 2"]


def test_a_connection_closed_while_idle_is_reopened_without_a_retry(provider: Provider) -> None:
    server = provider.server([Reply(text="first"), Reply(text="second")])
    server.idle_timeout = 0.2
    with server as srv:
        model = provider.model(srv.base_url)
        first = provider.run(model)
        time.sleep(0.6)  # the server has hung up on the idle connection by now
        second = provider.run(model)
        assert srv.connections == 2 and len(srv.requests) == 2
    assert (first.text, second.text) == ("first", "second")
    assert second.retries == []


def test_bodies_built_turn_by_turn_equal_bodies_built_at_once(provider: Provider) -> None:
    full = _conversation(6)
    with provider.server([]) as srv:
        growing = provider.model(srv.base_url)
        for end in range(2, len(full) + 1):
            body = growing.request_body(full[:end], [SHELL])  # type: ignore[attr-defined]
        fresh = provider.model(srv.base_url).request_body(full, [SHELL])  # type: ignore[attr-defined]
    assert json.loads(body) == json.loads(fresh)


def test_each_message_is_encoded_once(provider: Provider) -> None:
    full = _conversation(3)
    encoded: list[Message] = []
    with provider.server([]) as srv:
        model = provider.model(srv.base_url)
        cache = model._encoded  # type: ignore[attr-defined]
        encode = cache._encode
        cache._encode = lambda m: (encoded.append(m), encode(m))[1]
        model.request_body(full[:-2], [SHELL])  # type: ignore[attr-defined]
        model.request_body(full, [SHELL])  # type: ignore[attr-defined]
    talk = [m for m in full if not (provider.name == "anthropic" and m.role == "system")]
    if provider.name == "openai":
        talk = talk[1:]  # the leading system prompt is sent as instructions
    assert [id(m) for m in encoded] == [id(m) for m in talk]


def test_the_newest_block_is_the_cache_breakpoint() -> None:
    provider = Provider("anthropic")
    messages = [*PROMPT, Message("assistant", "hi"), Message("user", "again")]
    with provider.server([]) as srv:
        model = provider.model(srv.base_url)
        model.request_body(messages[:2], [])  # type: ignore[attr-defined]
        body = json.loads(model.request_body(messages, []))  # type: ignore[attr-defined]
    marked = [
        (turn["role"], block["text"])
        for turn in body["messages"]
        for block in turn["content"]
        if "cache_control" in block
    ]
    assert marked == [("user", "again")]
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
