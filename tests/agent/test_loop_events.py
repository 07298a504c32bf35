"""The loop in-process against the real-HTTP fake model: the whole event sequence of each way a
run ends. Each test takes a fraction of a second; the CLI contract stays in tests/e2e."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kodo.agent.conversation import Conversation
from kodo.agent.loop import Agent, RunOutcome
from kodo.config import Config
from kodo.events import (
    AssistantMessage,
    Compacted,
    EditDetail,
    Event,
    FileChange,
    TextDelta,
    ToolCall,
    ToolResult,
    TurnCompleted,
    UserMessage,
)
from kodo.models.factory import create_model
from kodo.sandbox.local import LocalExecutor
from kodo.tools.base import ToolContext
from kodo.tools.read_file import ReadFileTool
from kodo.tools.registry import ToolRegistry
from kodo.tools.write_file import WriteFileTool
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, CutStream, Entry, Reply

INSTRUCTIONS = "# Project instructions (AGENTS.md)\n\nIndent with tabs."
WRITE = Call("write_file", {"path": "hello.py", "content": "print('hello')\n"})
DONE = Reply("Done: hello.py prints hello.")


def write_turn(turn: int) -> list[str]:
    return [
        "text",
        "usage",
        "assistant ['write_file']",
        "call write_file",
        "result write_file ok",
        f"turn {turn}",
    ]


def done_turn(turn: int) -> list[str]:
    return ["text", "usage", "assistant []", f"turn {turn}"]


@dataclass
class Run:
    outcome: RunOutcome
    events: list[Event]
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def trace(self) -> list[str]:
        """Every event in order, one short line each; a run of text deltas is one line."""
        lines: list[str] = []
        for event in self.events:
            line = _line(event)
            if not (line == "text" and lines and lines[-1] == "text"):
                lines.append(line)
        return lines


def _line(event: Event) -> str:
    if isinstance(event, TextDelta):
        return "text"
    if isinstance(event, UserMessage):
        return f"user {event.kind}"
    if isinstance(event, AssistantMessage):
        return f"assistant {[c.name for c in event.tool_calls]}"
    if isinstance(event, ToolCall):
        return f"call {event.name}"
    if isinstance(event, ToolResult):
        return f"result {event.name} {'ok' if event.ok else 'failed'}"
    if isinstance(event, TurnCompleted):
        return f"turn {event.turn}"
    if isinstance(event, Compacted):
        return f"compacted keeping {event.kept_messages}"
    return event.type


@pytest.fixture
def run_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    executors: list[LocalExecutor] = []

    def run(script: list[Entry], conversation: Conversation | None = None, **settings: Any) -> Run:
        with ScriptedOpenAIServer(script) as server:
            config = Config(provider="openai-chat", model="m", base_url=server.base_url, **settings)
            events: list[Event] = []
            executor = LocalExecutor(config)
            executors.append(executor)
            ctx = ToolContext(cwd=tmp_path, config=config, emit=events.append, executor=executor)
            agent = Agent(
                config=config,
                model=create_model(config),
                tools=ToolRegistry([WriteFileTool(), ReadFileTool()]),
                ctx=ctx,
                conversation=conversation or Conversation("SYSTEM"),
                emit=events.append,
            )
            outcome = agent.run("Create hello.py that prints hello")
            assert not server.exhausted, "the loop asked the model more often than scripted"
            return Run(outcome, events, list(server.requests))

    yield run
    for executor in executors:
        executor.close()


def test_completed(run_agent: Any, tmp_path: Path) -> None:
    run = run_agent([Reply("Writing it.", [WRITE]), DONE])
    assert (run.outcome.status, run.outcome.exit_code) == ("completed", 0)
    assert run.outcome.final_message == DONE.text
    assert run.trace == ["user prompt", *write_turn(1), *done_turn(2)]
    assert (tmp_path / "hello.py").read_text() == "print('hello')\n"


def test_calls_and_results_carry_the_tools_title_and_typed_detail(run_agent: Any) -> None:
    run = run_agent([Reply("Writing it.", [WRITE]), DONE])
    (call,) = [e for e in run.events if isinstance(e, ToolCall)]
    (result,) = [e for e in run.events if isinstance(e, ToolResult)]
    assert (call.title, call.streams, result.title) == ("write_file hello.py", False, call.title)
    assert isinstance(result.detail, EditDetail)
    assert result.detail.files == [FileChange("hello.py", "add")]
    assert "+print('hello')" in result.detail.diff


def test_max_turns(run_agent: Any) -> None:
    run = run_agent([Reply("Writing it.", [WRITE])], max_turns=1)
    assert (run.outcome.status, run.outcome.exit_code) == ("max_turns", 3)
    assert run.trace == ["user prompt", *write_turn(1)]


def test_token_budget(run_agent: Any) -> None:
    run = run_agent([Reply("Writing it.", [WRITE])], token_budget=10)
    assert (run.outcome.status, run.outcome.exit_code) == ("token_budget", 3)
    assert run.outcome.error == "token budget of 10 spent"
    assert run.trace == ["user prompt", *write_turn(1)]


def test_a_cut_stream_restarts_the_answer(run_agent: Any) -> None:
    run = run_agent([CutStream("Writing i"), Reply("Writing it.", [WRITE]), DONE])
    assert run.outcome.status == "completed"
    assert run.trace == ["user prompt", "text", "retry", *write_turn(1), *done_turn(2)]
    first = next(e for e in run.events if isinstance(e, AssistantMessage))
    assert first.text == "Writing it."  # the broken-off start was discarded
    assert len(run.requests) == 3


def test_malformed_calls_become_error_results(run_agent: Any) -> None:
    broken = [Call("write_file", "{not json"), Call("no_such_tool", {"x": 1})]
    run = run_agent([Reply("", broken), Reply("Writing it.", [WRITE]), DONE])
    assert run.outcome.status == "completed"
    assert run.trace == [
        "user prompt",
        "usage",
        "assistant ['write_file', 'no_such_tool']",
        "call write_file",
        "result write_file failed",
        "call no_such_tool",
        "result no_such_tool failed",
        "turn 1",
        *write_turn(2),
        *done_turn(3),
    ]
    results = [e for e in run.events if isinstance(e, ToolResult)]
    assert "no_such_tool" in results[1].output and "write_file" in results[1].output
    assert [r.title for r in results[:2]] == [
        "write_file (malformed arguments)",
        'no_such_tool {"x": 1}',
    ]
    assert results[0].detail is None


def test_compaction_keeps_the_project_instructions_verbatim(run_agent: Any) -> None:
    conversation = Conversation("SYSTEM")
    conversation.add_instructions(INSTRUCTIONS)
    padding = Call("write_file", {"path": "notes.txt", "content": "x" * 6_000})
    script = [
        Reply("Writing notes.", [padding]),
        Reply("SUMMARY: notes.txt written"),  # the summary request
        Reply("Writing it.", [WRITE]),
        DONE,
    ]
    run = run_agent(script, conversation, context_window=2_000, auto_compact_ratio=0.5)
    assert run.outcome.status == "completed"
    assert run.trace == [
        "user prompt",
        *write_turn(1),
        "compacted keeping 0",  # the summary request itself shows nothing
        *write_turn(2),
        *done_turn(3),
    ]
    summarised = run.requests[1]["messages"][-1]["content"]
    assert "Indent with tabs" not in summarised  # pinned, so not part of what is summarised
    after = [m["content"] for m in run.requests[2]["messages"]]
    assert after[1] == INSTRUCTIONS
    assert after[2].endswith("SUMMARY: notes.txt written")
