"""Interrupting a turn through the cancel event the core is built with: a silent model stream is
abandoned at once, a running command's process group is killed, and later tool calls are
answered without running."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from kodo.agent.conversation import Conversation
from kodo.agent.loop import Agent
from kodo.config import Config
from kodo.events import Event, ToolResult
from kodo.models.base import Message, StreamItem, TextChunk, ToolCallRequest, ToolSpec
from kodo.models.cancel import Cancelled, until_cancelled
from kodo.sandbox.local import LocalExecutor
from kodo.tools.base import ToolContext, ToolOutput
from kodo.tools.registry import ToolRegistry


class SilentModel:
    provider = "test"
    name = "silent"

    def __init__(self) -> None:
        self.release = threading.Event()

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[StreamItem]:
        yield TextChunk("first ")
        self.release.wait(10)
        yield TextChunk("never seen")


def test_a_silent_stream_gives_up_as_soon_as_cancelled() -> None:
    cancel = threading.Event()
    inner = SilentModel()
    stream = until_cancelled(inner.stream([], []), cancel)
    first = next(stream)
    assert isinstance(first, TextChunk) and first.text == "first "
    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        next(stream)
    assert time.monotonic() - started < 2
    inner.release.set()


def test_cancel_kills_the_running_command_tree(tmp_path: Path) -> None:
    cancel = threading.Event()
    executor = LocalExecutor(Config())
    threading.Timer(0.5, cancel.set).start()
    started = time.monotonic()
    result = executor.run(
        ["bash", "-c", "sleep 30 & sleep 30; echo done"],
        cwd=tmp_path,
        timeout_s=60,
        max_output_bytes=1000,
        cancel=cancel,
    )
    assert time.monotonic() - started < 10
    assert result.cancelled and result.exit_code is None and "done" not in result.output
    after = executor.run(["true"], cwd=tmp_path, timeout_s=5, max_output_bytes=100, cancel=cancel)
    assert after.cancelled and after.exit_code is None  # still cancelled: nothing new runs
    cancel.clear()
    assert executor.run(["true"], cwd=tmp_path, timeout_s=5, max_output_bytes=100).exit_code == 0
    executor.close()


@dataclass
class _NoArgs:
    pass


class _PressEsc:
    """A tool during which the person interrupts the turn."""

    name: ClassVar[str] = "press_esc"
    description: ClassVar[str] = "test"
    Args: ClassVar[type] = _NoArgs
    ran: ClassVar[list[str]] = []

    def run(self, args: _NoArgs, ctx: ToolContext) -> ToolOutput:
        self.ran.append("ran")
        ctx.cancel.set()
        return ToolOutput("stopped halfway")


class _TwoCalls:
    provider = "test"
    name = "two-calls"

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[StreamItem]:
        yield ToolCallRequest("call_1", "press_esc", "{}")
        yield ToolCallRequest("call_2", "press_esc", "{}")


def test_tool_calls_after_an_interrupt_are_answered_without_running(tmp_path: Path) -> None:
    events: list[Event] = []
    cancel = threading.Event()
    config = Config()
    ctx = ToolContext(tmp_path, config, events.append, LocalExecutor(config), cancel=cancel)
    conversation = Conversation("system")
    agent = Agent(
        config=config,
        model=_TwoCalls(),
        tools=ToolRegistry([_PressEsc()]),
        ctx=ctx,
        conversation=conversation,
        emit=events.append,
        cancel=cancel,
    )
    outcome = agent.run("go")
    assert outcome.status == "interrupted" and outcome.exit_code == 130
    assert _PressEsc.ran == ["ran"]
    results = [e for e in events if isinstance(e, ToolResult)]
    assert [r.call_id for r in results] == ["call_1", "call_2"]
    assert not results[1].ok and "interrupted" in results[1].output
    tool_messages = [m for m in conversation.messages if m.role == "tool"]
    assert len(tool_messages) == 2  # every call answered: the conversation stays well formed
    ctx.executor.close()
