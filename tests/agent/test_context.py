from __future__ import annotations

from kodo.agent.compaction import choose_cut, transcript
from kodo.agent.context import ContextMeter, context_window, estimate_tokens
from kodo.config import Config
from kodo.models.base import Message, ToolCallRequest


def test_context_window_table_and_config() -> None:
    assert context_window(Config(model="gpt-5-codex")) == 400_000
    assert context_window(Config(model="anthropic/claude-sonnet-4-5")) == 200_000
    assert context_window(Config(model="unknown-model")) == 128_000
    assert context_window(Config(model="gpt-5", context_window=8000)) == 8000


def test_meter_prefers_reported_usage_plus_estimate_of_the_rest() -> None:
    messages = [Message("user", "x" * 400)]
    meter = ContextMeter()
    assert meter.tokens(messages) == estimate_tokens(messages)
    meter.record(1000, 50, message_count=1)
    messages.append(Message("tool", "y" * 4000, tool_call_id="a", name="shell"))
    assert meter.tokens(messages) == 1050 + estimate_tokens(messages[1:])


def test_cut_never_starts_on_a_tool_result() -> None:
    call = ToolCallRequest("a", "shell", "{}")
    messages = [
        Message("user", "task " * 200),
        Message("assistant", "", tool_calls=[call]),
        Message("tool", "out " * 50, tool_call_id="a", name="shell"),
        Message("assistant", "done"),
    ]
    cut = choose_cut(messages, keep_tokens=estimate_tokens(messages[2:]))
    assert messages[cut].role != "tool"
    assert cut == 3
    assert choose_cut(messages, keep_tokens=10**9) == 0


def test_transcript_shows_calls_and_results() -> None:
    call = ToolCallRequest("a", "shell", '{"command": "ls"}')
    text = transcript(
        [Message("assistant", "", tool_calls=[call]), Message("tool", "f.py", name="shell")], 10_000
    )
    assert '[called shell {"command": "ls"}]' in text and "TOOL RESULT (shell): f.py" in text
