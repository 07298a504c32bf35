"""The typed event stream: the one language between the agent, the UI and the session log.

Every event is a pydantic model with a literal ``type``; ``parse_event`` turns a JSON line back
into the right class, which is how sessions are resumed. docs/events.md documents the schema.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter


class _Event(BaseModel):
    ts: float = Field(default_factory=time.time)


class ToolCallInfo(BaseModel):
    call_id: str
    name: str
    arguments: str
    from_text: bool = False  # the model wrote it in its reply text (no native tool call)


class PlanStep(BaseModel):
    step: str
    status: Literal["pending", "in_progress", "completed"]


class SessionStarted(_Event):
    type: Literal["session_started"] = "session_started"
    session_id: str
    model: str
    provider: str
    cwd: str
    resumed_from: str | None = None
    base_url: str | None = None  # the server it talked to; resuming talks to it again


class UserMessage(_Event):
    """A prompt from the person, or project instructions (AGENTS.md) sent ahead of the first."""

    type: Literal["user_message"] = "user_message"
    text: str
    kind: Literal["prompt", "instructions", "nudge", "attachment"] = "prompt"


class TextDelta(_Event):
    """A piece of the model's answer as it streams; not needed to rebuild a conversation."""

    type: Literal["text_delta"] = "text_delta"
    text: str


class AssistantMessage(_Event):
    """One complete model response: its text and the tool calls it asked for."""

    type: Literal["assistant_message"] = "assistant_message"
    text: str
    tool_calls: list[ToolCallInfo] = Field(default_factory=list)


class ToolCall(_Event):
    type: Literal["tool_call"] = "tool_call"
    call_id: str
    name: str
    arguments: str


class CommandOutput(_Event):
    """A piece of what a running command printed, as it prints it; the tool result that follows
    holds the output, so these are not needed to rebuild a conversation."""

    type: Literal["command_output"] = "command_output"
    call_id: str
    text: str


class ToolResult(_Event):
    type: Literal["tool_result"] = "tool_result"
    call_id: str
    name: str
    output: str
    ok: bool = True
    metadata: dict[str, Any] = Field(default_factory=dict)


class JobStatus(_Event):
    """A cluster job the session submitted or watches: on submission, on each change of state
    seen while waiting, and as a heartbeat during a long wait. ``kodo jobs`` and ``kodo resume``
    find a session's jobs here."""

    type: Literal["job_status"] = "job_status"
    cluster: str
    job_id: str
    state: str
    detail: str = ""  # the scheduler's own state word, reason, exit code
    workdir: str | None = None
    elapsed_s: float | None = None  # of this wait
    last_lines: list[str] = Field(default_factory=list)
    heartbeat: bool = False


class PlanUpdated(_Event):
    type: Literal["plan_updated"] = "plan_updated"
    explanation: str | None = None
    steps: list[PlanStep]


class Retry(_Event):
    type: Literal["retry"] = "retry"
    attempt: int
    delay_s: float
    reason: str


class Error(_Event):
    type: Literal["error"] = "error"
    message: str


class Usage(_Event):
    type: Literal["usage"] = "usage"
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    total_input_tokens: int = 0
    total_output_tokens: int = 0


class Compacted(_Event):
    """Older turns were replaced by ``summary``; the last ``kept_messages`` messages stayed as
    they were. A resumed session starts from here."""

    type: Literal["compacted"] = "compacted"
    summary: str
    kept_messages: int = 0
    tokens_before: int = 0


class TurnCompleted(_Event):
    type: Literal["turn_completed"] = "turn_completed"
    turn: int


SessionStatus = Literal["completed", "error", "max_turns", "token_budget", "interrupted"]


class SessionCompleted(_Event):
    type: Literal["session_completed"] = "session_completed"
    status: SessionStatus
    exit_code: int
    final_message: str | None = None
    error: str | None = None
    # Whether the model's last answer says the task is done, and whether a command that runs
    # code succeeded after the last file change (None when the session did not complete).
    claimed_success: bool | None = None
    verified: bool | None = None
    # ``--done-when "val_acc >= 0.9"``: the condition and whether the metric the run reported
    # (its job logs, its commands' output) met it.
    done_when: str | None = None
    done_met: bool | None = None


Event = Annotated[
    SessionStarted
    | UserMessage
    | TextDelta
    | AssistantMessage
    | ToolCall
    | CommandOutput
    | ToolResult
    | JobStatus
    | PlanUpdated
    | Retry
    | Error
    | Usage
    | Compacted
    | TurnCompleted
    | SessionCompleted,
    Field(discriminator="type"),
]

_adapter: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(line: str | bytes) -> Event:
    return _adapter.validate_json(line)
