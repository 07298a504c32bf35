"""The typed event stream: the one language between the agent, the UI and the session log.

Every event is a record (``kodo.records``) with a ``type`` word; ``to_json`` writes one as a
JSON line and ``parse_event`` reads it back into the right class, checked field by field, which
is how sessions are resumed. docs/events.md documents the schema.
"""

from __future__ import annotations

import json
import time
import typing
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from kodo.records import read, to_plain


@dataclass(kw_only=True)
class _Event:
    type: ClassVar[str]
    ts: float = field(default_factory=time.time)


@dataclass
class ToolCallRequest:
    """One tool call as the model asked for it: the same record from the model's stream, through
    the conversation, to the log."""

    call_id: str
    name: str
    arguments: str  # raw JSON text as the model produced it; may be malformed
    from_text: bool = False  # written in the reply text, not sent as a native tool call


@dataclass(kw_only=True)
class PlanStep:
    step: str
    status: Literal["pending", "in_progress", "completed"]


@dataclass(kw_only=True)
class SessionStarted(_Event):
    type: ClassVar[str] = "session_started"
    session_id: str
    model: str
    provider: str
    cwd: str
    resumed_from: str | None = None
    base_url: str | None = None  # the server it talked to; resuming talks to it again


@dataclass(kw_only=True)
class UserMessage(_Event):
    """A prompt from the person, or project instructions (AGENTS.md) sent ahead of the first."""

    type: ClassVar[str] = "user_message"
    text: str
    kind: Literal["prompt", "instructions", "nudge", "attachment"] = "prompt"


@dataclass(kw_only=True)
class TextDelta(_Event):
    """A piece of the model's answer as it streams; not needed to rebuild a conversation."""

    type: ClassVar[str] = "text_delta"
    text: str


@dataclass(kw_only=True)
class AssistantMessage(_Event):
    """One complete model response: its text and the tool calls it asked for."""

    type: ClassVar[str] = "assistant_message"
    text: str
    tool_calls: list[ToolCallRequest] = field(default_factory=list)
    # the text without the tool calls the model wrote into it (their cards show them); None
    # when it wrote none
    prose: str | None = None

    @property
    def said(self) -> str:
        """What people are shown of the reply."""
        return self.text if self.prose is None else self.prose


@dataclass(kw_only=True)
class ToolCall(_Event):
    type: ClassVar[str] = "tool_call"
    call_id: str
    name: str
    arguments: str
    # the tool's one line about the call (``Tool.describe``), "" when another event shows it
    # (update_plan's plan_updated); None in logs written before calls had titles
    title: str | None = None
    streams: bool = False  # its output arrives as command_output events while it runs


@dataclass(kw_only=True)
class CommandOutput(_Event):
    """A piece of what a running command printed, as it prints it; the tool result that follows
    holds the output, so these are not needed to rebuild a conversation."""

    type: ClassVar[str] = "command_output"
    call_id: str
    text: str


@dataclass(kw_only=True)
class CommandDetail:
    """A command that ran in the foreground, as its card shows it: the card reads these fields,
    never the text the model gets."""

    kind: Literal["command"] = "command"
    command: str  # as shown to people
    exit_code: int | None = None  # None: it did not exit by itself
    ended: str = ""  # how it ended, in words ("exit code 1", "killed by signal 9 (SIGKILL)")
    duration_s: float = 0.0
    timed_out: bool = False
    outside_sandbox: bool = False
    # more than a look at the workspace: after the last edit, its success is a check
    runs_code: bool = False
    # its own output without the model's header: the last non-blank lines (the output itself
    # is the result's text, so the log does not hold it twice), and how many there were
    tail: list[str] = field(default_factory=list)
    lines: int = 0


@dataclass(kw_only=True)
class BackgroundDetail:
    """A command started in the background; the process tool reaches it by ``process_id``."""

    kind: Literal["background"] = "background"
    command: str
    process_id: str


@dataclass
class FileChange:
    path: str
    action: Literal["add", "update", "delete", "move"]
    to: str | None = None  # where a move put it


@dataclass(kw_only=True)
class EditDetail:
    """Files a tool changed, and the unified diff of the change."""

    kind: Literal["edit"] = "edit"
    files: list[FileChange]
    diff: str


@dataclass(kw_only=True)
class JobDetail:
    """A cluster job after a wait; for a failed one, what a person reads of its diagnosis (the
    class, the culprit and the first fix: the evidence and other fixes are for the model)."""

    kind: Literal["job"] = "job"
    cluster: str
    job_id: str
    state: str
    verdict: list[str] = field(default_factory=list)


# Read back by ``kind``: each record's own Literal tells the union's arms apart.
ToolDetail = CommandDetail | BackgroundDetail | EditDetail | JobDetail


@dataclass(kw_only=True)
class ToolResult(_Event):
    """What a tool returned: ``output`` is the text the model gets; ``detail`` the typed facts
    people are shown (a command's card, a diff), None for tools with nothing more to show."""

    type: ClassVar[str] = "tool_result"
    call_id: str
    name: str
    output: str
    ok: bool = True
    title: str | None = None  # the call's title (``ToolCall.title``)
    detail: ToolDetail | None = None


@dataclass(kw_only=True)
class JobStatus(_Event):
    """A cluster job the session submitted or watches: on submission, on each change of state
    seen while waiting, and as a heartbeat during a long wait. ``kodo jobs`` and ``kodo resume``
    find a session's jobs here."""

    type: ClassVar[str] = "job_status"
    cluster: str
    job_id: str
    state: str
    detail: str = ""  # the scheduler's own state word, reason, exit code
    workdir: str | None = None
    elapsed_s: float | None = None  # of this wait
    last_lines: list[str] = field(default_factory=list)
    heartbeat: bool = False


@dataclass(kw_only=True)
class PlanUpdated(_Event):
    type: ClassVar[str] = "plan_updated"
    explanation: str | None = None
    steps: list[PlanStep]


@dataclass(kw_only=True)
class Retry(_Event):
    type: ClassVar[str] = "retry"
    attempt: int
    delay_s: float
    reason: str


@dataclass(kw_only=True)
class Error(_Event):
    type: ClassVar[str] = "error"
    message: str


@dataclass(kw_only=True)
class Notice(_Event):
    """What the person should know that is no error: a skill skipped, an MCP server that did
    not start, a login profile that failed, the local model chosen for want of a provider."""

    type: ClassVar[str] = "notice"
    text: str


@dataclass(kw_only=True)
class Usage(_Event):
    type: ClassVar[str] = "usage"
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    total_input_tokens: int = 0
    total_output_tokens: int = 0


@dataclass(kw_only=True)
class Compacted(_Event):
    """Older turns were replaced by ``summary``; the last ``kept_messages`` messages stayed as
    they were. A resumed session starts from here."""

    type: ClassVar[str] = "compacted"
    summary: str
    kept_messages: int = 0
    tokens_before: int = 0


@dataclass(kw_only=True)
class TurnCompleted(_Event):
    type: ClassVar[str] = "turn_completed"
    turn: int


SessionStatus = Literal["completed", "error", "max_turns", "token_budget", "interrupted"]


@dataclass(kw_only=True)
class SessionCompleted(_Event):
    type: ClassVar[str] = "session_completed"
    status: SessionStatus
    exit_code: int
    final_message: str | None = None
    error: str | None = None
    # Whether the model's last answer says the task is done, and whether a command that runs
    # code succeeded after the last file change (None when the session did not complete).
    claimed_success: bool | None = None
    verified: bool | None = None
    # ``--done-when "val_acc >= 0.9"``: the condition, whether the metric the run reported
    # (its job logs, its commands' output) met it, and the verdict with the value that decided,
    # as ``kodo exec`` prints it: "done-when val_acc >= 0.9: met (val_acc = 0.93)".
    done_when: str | None = None
    done_met: bool | None = None
    done_verdict: str | None = None


Event = (
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
    | Notice
    | Usage
    | Compacted
    | TurnCompleted
    | SessionCompleted
)
EVENT_TYPES: dict[str, type[Event]] = {cls.type: cls for cls in typing.get_args(Event)}


def to_json(event: Event) -> str:
    """One line of the event log. Text with a lone surrogate (a model can send one) is written
    escaped, since it cannot be written as UTF-8."""
    data = {"type": event.type, **to_plain(event)}
    line = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    try:
        line.encode()
    except UnicodeEncodeError:
        line = json.dumps(data, separators=(",", ":"))
    return line


def parse_event(line: str | bytes) -> Event:
    """One event from a line of the log; ``ValueError`` for anything else."""
    try:
        data = json.loads(line)
    except RecursionError:  # nested past what the reader follows: no event is built like that
        raise ValueError("not a kodo event: nested too deeply") from None
    cls = EVENT_TYPES.get(str(data.get("type"))) if isinstance(data, dict) else None
    if cls is None:
        raise ValueError(f"not a kodo event: {str(line)[:80]!r}")
    return read(cls, data)
