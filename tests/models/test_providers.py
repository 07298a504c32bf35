"""Every provider against its scripted server: streaming, tool calls, usage, and each kind of
failure, through the same retry policy the agent loop uses."""

from __future__ import annotations

import json

import pytest

from kodo.models.base import ModelError, TextChunk, TokenUsage, ToolCallRequest
from kodo.models.retry import Restart
from tests.fakes.http import token_counts
from tests.fakes.script import Call, CutStream, Fault, Reply
from tests.models.conftest import KEY, Provider, closed_port


def test_text_streams_in_pieces_and_usage_comes_last(provider: Provider) -> None:
    text = "Hello from the scripted model, in several pieces."
    with provider.server([Reply(text=text, cached_tokens=3)]) as srv:
        out = provider.run(provider.model(srv.base_url))
        prompt, _ = token_counts(srv.requests[0], "")
    chunks = out.of(TextChunk)
    assert len(chunks) > 1 and "".join(c.text for c in chunks) == text
    usage = out.items[-1]
    assert isinstance(usage, TokenUsage)
    assert usage.input_tokens == prompt and usage.output_tokens > 0
    assert usage.cached_input_tokens == 3
    assert out.retries == []


def test_tool_calls_arrive_whole_after_the_text(provider: Provider) -> None:
    calls = [
        Call("shell", {"command": "ls -la && echo a-longer-command-split-in-pieces"}),
        Call("read_file", {"path": "src/app.py", "limit": 40}),
    ]
    with provider.server([Reply(text="Let me look.", tool_calls=calls)]) as srv:
        out = provider.run(provider.model(srv.base_url))
    got = out.of(ToolCallRequest)
    assert [(c.name, json.loads(c.arguments)) for c in got] == [
        (c.name, c.arguments) for c in calls
    ]
    assert all(c.call_id for c in got) and got[0].call_id != got[1].call_id
    kinds = [type(i) for i in out.items]
    assert kinds.index(ToolCallRequest) > max(i for i, k in enumerate(kinds) if k is TextChunk)
    assert out.text == "Let me look."


def test_malformed_arguments_are_passed_through_raw(provider: Provider) -> None:
    broken = '{"command": ["ls", '
    with provider.server([Reply(tool_calls=[Call("shell", broken)])]) as srv:
        out = provider.run(provider.model(srv.base_url))
    assert [c.arguments for c in out.of(ToolCallRequest)] == [broken]


def test_rejected_key_names_the_variable_and_is_not_retried(provider: Provider) -> None:
    with provider.server([Fault(401), Reply(text="never")]) as srv:
        with pytest.raises(ModelError) as err:
            provider.run(provider.model(srv.base_url))
        assert len(srv.requests) == 1
    assert not err.value.retryable and err.value.status == 401
    message = str(err.value)
    assert provider.key_env in message and "401" in message and KEY not in message


def test_429_waits_as_long_as_retry_after_says(provider: Provider) -> None:
    with provider.server([Fault(429, retry_after=0.25), Reply(text="ok")]) as srv:
        out = provider.run(provider.model(srv.base_url))
        assert len(srv.requests) == 2
    assert out.delays == [0.25]
    assert [(a, d) for a, d, _ in out.retries] == [(1, 0.25)]
    assert "429" in out.retries[0][2]
    assert out.text == "ok"


def test_server_error_then_success(provider: Provider) -> None:
    with provider.server([Fault(500, message="the backend hiccuped"), Reply(text="ok")]) as srv:
        out = provider.run(provider.model(srv.base_url))
        assert len(srv.requests) == 2
    assert [r[0] for r in out.retries] == [1]
    assert "HTTP 500" in out.retries[0][2] and "the backend hiccuped" in out.retries[0][2]
    assert out.of(Restart) == []
    assert out.text == "ok"


def test_a_stream_cut_mid_answer_restarts_it(provider: Provider) -> None:
    with provider.server([CutStream("partial answ"), Reply(text="whole answer")]) as srv:
        out = provider.run(provider.model(srv.base_url))
        assert len(srv.requests) == 2
    (restart,) = out.of(Restart)
    assert restart.attempt == 1 and "broke off mid-answer" in restart.reason
    before = out.items[: out.items.index(restart)]
    assert "".join(i.text for i in before if isinstance(i, TextChunk)) == "partial answ"
    assert out.text == "whole answer"


def test_bad_request_is_not_retried_and_says_why(provider: Provider) -> None:
    with provider.server([Fault(400, message="prompt is too long"), Reply(text="never")]) as srv:
        with pytest.raises(ModelError) as err:
            provider.run(provider.model(srv.base_url))
        assert len(srv.requests) == 1
    assert not err.value.retryable
    assert "HTTP 400" in str(err.value) and "prompt is too long" in str(err.value)


def test_retries_stop_after_max_retries(provider: Provider) -> None:
    with provider.server([Fault(503)] * 3) as srv:
        with pytest.raises(ModelError) as err:
            provider.run(provider.model(srv.base_url), max_retries=2)
        assert len(srv.requests) == 3 and not srv.exhausted
    assert "gave up after 3 attempts" in str(err.value) and "HTTP 503" in str(err.value)


def test_nothing_listening_is_retryable(provider: Provider) -> None:
    base_url = f"http://127.0.0.1:{closed_port()}"
    if provider.name != "anthropic":
        base_url += "/v1"
    with pytest.raises(ModelError) as err:
        provider.run(provider.model(base_url), max_retries=1)
    assert err.value.retryable
    assert "could not reach" in str(err.value) and base_url in str(err.value)
    assert "gave up after 2 attempts" in str(err.value)


def test_a_silent_server_times_out(provider: Provider) -> None:
    def stall(request: dict) -> Reply:
        time_out.wait(5)
        return Reply(text="too late")

    import threading

    time_out = threading.Event()
    with provider.server([stall]) as srv:
        model = provider.model(srv.base_url, request_timeout_s=0.3)
        with pytest.raises(ModelError) as err:
            provider.run(model, max_retries=0)
        time_out.set()
    assert err.value.retryable and "within 0.3 s" in str(err.value)


def test_an_exhausted_script_is_noticed(provider: Provider) -> None:
    with provider.server([Reply(text="only one")]) as srv:
        model = provider.model(srv.base_url)
        provider.run(model)
        assert not srv.exhausted
        with pytest.raises(ModelError) as err:
            provider.run(model, max_retries=0)
        assert srv.exhausted
    assert "script exhausted" in str(err.value)
