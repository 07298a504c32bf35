"""The conversation as the model sees it, and how to rebuild it from a session's events.

Rebuilding is how resume works: the session log is the single source of truth, so a
conversation is never stored twice. The compaction rule lives here too, so the live loop and
a resumed session apply the same one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kodo.events import AssistantMessage, Compacted, Event, ToolResult, UserMessage
from kodo.models.base import Message, ToolCallRequest

INTERRUPTED_CALL = "error: the session ended before this tool call finished; it did not complete."


@dataclass
class Conversation:
    system: str
    messages: list[Message] = field(default_factory=list)
    instructions: str | None = None  # the project's AGENTS.md text, kept through compaction

    def for_model(self) -> list[Message]:
        return [Message("system", self.system), *self.messages]

    def add_instructions(self, text: str) -> None:
        self.instructions = text
        self.add_user(text)

    def history(self) -> list[Message]:
        """What compaction may summarise: every message but the pinned project instructions."""
        return self.messages[self._pinned() :]

    def compact(self, summary: str, kept_messages: int) -> None:
        """The compaction rule: the project instructions verbatim (a summary would blur them),
        then the summary, then the last ``kept_messages`` messages as they were."""
        kept = self.messages[-kept_messages:] if kept_messages else []
        head = [Message("user", self.instructions)] if self.instructions else []
        self.messages = [*head, Message("user", summary), *kept]

    def _pinned(self) -> int:
        first = self.messages[0] if self.messages else None
        pinned = first is not None and first.role == "user" and first.content == self.instructions
        return 1 if pinned else 0

    def add_user(self, text: str) -> None:
        self.messages.append(Message("user", text))

    def add_assistant(self, text: str, calls: list[ToolCallRequest]) -> None:
        self.messages.append(Message("assistant", text, tool_calls=list(calls)))

    def add_tool_result(self, call_id: str, name: str, output: str) -> None:
        self.messages.append(Message("tool", output, tool_call_id=call_id, name=name))

    def close_open_calls(self) -> None:
        """Answer tool calls that never got a result (a crash mid-call): providers reject them."""
        fixed: list[Message] = []
        pending: list[ToolCallRequest] = []
        for message in self.messages:
            if message.role == "tool":
                pending[:] = [c for c in pending if c.call_id != message.tool_call_id]
            else:
                fixed.extend(_interrupted(pending))
                pending.clear()
            fixed.append(message)
            if message.role == "assistant":
                pending.extend(message.tool_calls)
        fixed.extend(_interrupted(pending))
        self.messages = fixed

    @classmethod
    def from_events(cls, system: str, events: Iterable[Event]) -> Conversation:
        conv = cls(system)
        for event in events:
            if isinstance(event, UserMessage) and event.kind == "instructions":
                conv.add_instructions(event.text)
            elif isinstance(event, UserMessage):
                conv.add_user(event.text)
            elif isinstance(event, AssistantMessage):
                conv.add_assistant(event.text, list(event.tool_calls))
            elif isinstance(event, ToolResult):
                conv.add_tool_result(event.call_id, event.name, event.output)
            elif isinstance(event, Compacted):
                conv.compact(event.summary, event.kept_messages)
        conv.close_open_calls()
        return conv


def _interrupted(calls: list[ToolCallRequest]) -> list[Message]:
    return [Message("tool", INTERRUPTED_CALL, tool_call_id=c.call_id, name=c.name) for c in calls]
