"""Interrupting a turn: a silent model stream is abandoned at once, a running command's whole
process group is killed, and later tool calls are answered without running."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodo.config import Config
from kodo.models.base import TextChunk
from kodo.sandbox.local import LocalExecutor
from kodo.tools.base import ToolContext, ToolOutput
from kodo.ui.interrupt import (
    InterruptibleExecutor,
    InterruptibleModel,
    InterruptibleTools,
    TurnControl,
    TurnInterrupted,
)


class SilentModel:
    provider = "test"
    name = "silent"

    def __init__(self) -> None:
        self.release = threading.Event()

    def stream(self, messages, tools) -> Iterator[TextChunk]:
        yield TextChunk("first ")
        self.release.wait(10)
        yield TextChunk("never seen")


def test_a_silent_stream_gives_up_as_soon_as_interrupted() -> None:
    control = TurnControl()
    inner = SilentModel()
    stream = InterruptibleModel(inner, control).stream([], [])
    assert next(stream).text == "first "
    threading.Timer(0.2, control.interrupt).start()
    started = time.monotonic()
    with pytest.raises(TurnInterrupted):
        next(stream)
    assert time.monotonic() - started < 2
    inner.release.set()


def test_interrupt_kills_the_running_command_tree(tmp_path: Path) -> None:
    control = TurnControl()
    executor = InterruptibleExecutor(LocalExecutor(Config()), control)
    threading.Timer(0.5, control.interrupt).start()
    started = time.monotonic()
    result = executor.run(
        ["bash", "-c", "sleep 30 & sleep 30; echo done"],
        cwd=tmp_path,
        timeout_s=60,
        max_output_bytes=1000,
    )
    assert time.monotonic() - started < 10
    assert result.exit_code is None and "done" not in result.output
    after = executor.run(["true"], cwd=tmp_path, timeout_s=5, max_output_bytes=100)
    assert after.exit_code is None  # still interrupted: nothing new runs
    control.reset()
    assert executor.run(["true"], cwd=tmp_path, timeout_s=5, max_output_bytes=100).exit_code == 0
    executor.close()


def test_tool_calls_after_an_interrupt_do_not_run() -> None:
    ran: list[str] = []

    class Registry:
        names = ["t"]

        def specs(self) -> list:
            return []

        def dispatch(self, name, raw_arguments, ctx) -> ToolOutput:
            ran.append(name)
            return ToolOutput("ran")

    control = TurnControl()
    tools = InterruptibleTools(Registry(), control)
    ctx = ToolContext(Path("."), Config(), lambda e: None, None)  # type: ignore[arg-type]
    assert tools.dispatch("t", "{}", ctx).output == "ran"
    control.interrupt()
    assert ctx.cancel.is_set()  # a long wait inside the running tool returns at once
    out = tools.dispatch("t", "{}", ctx)
    assert not out.ok and "interrupted" in out.output and ran == ["t"]
