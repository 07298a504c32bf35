from __future__ import annotations

from kodo.agent.conversation import INTERRUPTED_CALL, Conversation
from kodo.events import AssistantMessage, Compacted, ToolCallInfo, ToolResult, UserMessage


def call(cid: str) -> ToolCallInfo:
    return ToolCallInfo(call_id=cid, name="shell", arguments='{"command": "ls"}')


def test_rebuild_from_events_keeps_order_and_roles() -> None:
    events = [
        UserMessage(text="do it"),
        AssistantMessage(text="", tool_calls=[call("a")]),
        ToolResult(call_id="a", name="shell", output="ok"),
        AssistantMessage(text="done"),
    ]
    conv = Conversation.from_events("SYS", events)
    msgs = conv.for_model()
    assert [m.role for m in msgs] == ["system", "user", "assistant", "tool", "assistant"]
    assert msgs[2].tool_calls[0].call_id == "a"
    assert msgs[3].tool_call_id == "a" and msgs[3].content == "ok"


def test_calls_left_open_by_a_crash_get_an_error_result() -> None:
    events = [
        UserMessage(text="x"),
        AssistantMessage(text="", tool_calls=[call("a"), call("b")]),
        ToolResult(call_id="a", name="shell", output="ok"),
    ]
    conv = Conversation.from_events("SYS", events)
    tools = [m for m in conv.messages if m.role == "tool"]
    assert [t.tool_call_id for t in tools] == ["a", "b"]
    assert tools[1].content == INTERRUPTED_CALL
    conv.add_user("next")
    assert conv.messages[-2].tool_call_id == "b"


def test_compaction_restarts_from_summary() -> None:
    events = [UserMessage(text="old"), AssistantMessage(text="old answer"), Compacted(summary="S")]
    events.append(UserMessage(text="new"))
    conv = Conversation.from_events("SYS", events)
    assert [m.content for m in conv.messages] == ["S", "new"]
