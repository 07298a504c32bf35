from __future__ import annotations

from kodo.agent.conversation import INTERRUPTED_CALL, Conversation
from kodo.events import AssistantMessage, Compacted, ToolCallRequest, ToolResult, UserMessage


def call(cid: str) -> ToolCallRequest:
    return ToolCallRequest(call_id=cid, name="shell", arguments='{"command": "ls"}')


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


def test_project_instructions_survive_compaction_verbatim_live_and_on_resume() -> None:
    live = Conversation("SYS")
    live.add_instructions("AGENTS: use tabs")
    live.add_user("old")
    live.add_assistant("old answer", [])
    live.add_user("recent")
    assert [m.content for m in live.history()] == ["old", "old answer", "recent"]
    live.compact("S", kept_messages=1)
    live.compact("S2", kept_messages=2)  # a second compaction keeps them once, still first
    assert [m.content for m in live.messages] == ["AGENTS: use tabs", "S2", "S", "recent"]
    events = [
        UserMessage(text="AGENTS: use tabs", kind="instructions"),
        UserMessage(text="old"),
        AssistantMessage(text="old answer"),
        UserMessage(text="recent"),
        Compacted(summary="S", kept_messages=1),
        Compacted(summary="S2", kept_messages=2),
    ]
    resumed = Conversation.from_events("SYS", events)
    assert [m.content for m in resumed.messages] == [m.content for m in live.messages]
    assert resumed.messages[0].role == "user"
