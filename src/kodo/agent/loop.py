"""The agent loop: ask the model, run the tools it calls, feed back the results, repeat until it
answers without tool calls or a budget runs out.

Everything the loop does is announced as an event; it never prints or writes files itself.
Stopping is part of the loop too: the cancel event it is given is checked between stream items
and before each tool, and a cancelled run ends as ``interrupted`` with every call answered.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass

from kodo.agent.attachments import named_files
from kodo.agent.compaction import choose_cut, summarize
from kodo.agent.completion import (
    STUCK_NUDGE,
    STUCK_TURNS,
    TaskProgress,
    Verdict,
    assess,
    claims_success,
)
from kodo.agent.context import ContextMeter, context_window
from kodo.agent.conversation import Conversation
from kodo.agent.text_protocol import RepeatGuard, render
from kodo.config import Config
from kodo.events import (
    AssistantMessage,
    Compacted,
    Error,
    Event,
    Retry,
    SessionStatus,
    TextDelta,
    ToolCall,
    ToolCallRequest,
    ToolResult,
    TurnCompleted,
    Usage,
    UserMessage,
)
from kodo.models.base import Model, ModelError, TextChunk, TokenUsage
from kodo.models.cancel import Cancelled
from kodo.models.retry import Restart, stream_with_retry
from kodo.models.text_calls import parse_text_calls
from kodo.text import cap_middle
from kodo.tools.base import ToolContext, ToolOutput
from kodo.tools.registry import ToolRegistry

EXIT_CODES: dict[SessionStatus, int] = {
    "completed": 0,
    "error": 1,
    "max_turns": 3,
    "token_budget": 3,
    "interrupted": 130,
}
INTERRUPTED = "interrupted by the user"
INTERRUPTED_TOOL = "interrupted by the user before this tool call ran; it did not run."


@dataclass
class RunOutcome:
    status: SessionStatus
    final_message: str | None = None
    error: str | None = None
    claimed_success: bool | None = None
    verified: bool | None = None
    done_when: str | None = None  # ``--done-when``: the condition, whether the run met it
    done_met: bool | None = None
    done_verdict: str | None = None  # and the verdict line, with the value that decided

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


@dataclass
class TokenTotals:
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


class Agent:
    def __init__(
        self,
        *,
        config: Config,
        model: Model,
        tools: ToolRegistry,
        ctx: ToolContext,
        conversation: Conversation,
        emit: Callable[[Event], None],
        cancel: threading.Event | None = None,
    ) -> None:
        """``cancel``: set by whoever may stop a run (the shell's Esc); a run that sees it ends
        as ``interrupted``. ``Session.start`` makes it the tools' ``ctx.cancel`` too (the
        default), so a tool's long wait ends with it."""
        self.config = config
        self.model = model
        self.tools = tools
        self.ctx = ctx
        self.conversation = conversation
        self.emit = emit
        self.cancel = cancel if cancel is not None else ctx.cancel
        self.tokens = TokenTotals()
        self.meter = ContextMeter()
        self.window = context_window(config)

    def run(self, prompt: str) -> RunOutcome:
        try:
            return self._run(prompt)
        except Cancelled:
            return RunOutcome("interrupted", error=INTERRUPTED)

    def _run(self, prompt: str) -> RunOutcome:
        if self.config.profile_name == "compact":
            attached = named_files(prompt, self.ctx.cwd, self.config)
            if attached:
                self.conversation.add_user(attached)
                self.emit(UserMessage(text=attached, kind="attachment"))
        self.conversation.add_user(prompt)
        self.emit(UserMessage(text=prompt))
        progress = TaskProgress()
        for turn in range(1, self.config.max_turns + 1):
            if self.cancel.is_set():
                return RunOutcome("interrupted", error=INTERRUPTED)
            budget = self.config.token_budget
            if budget is not None and self.tokens.total >= budget:
                return RunOutcome("token_budget", error=f"token budget of {budget} spent")
            try:
                self._compact_if_full()
                text, calls, usage, guard = self._sample()
            except ModelError as exc:
                self.emit(Error(message=str(exc)))
                return RunOutcome("error", error=str(exc))
            unknown: list[str] = []
            prose = None
            if guard is not None and guard.kept is not None:
                text, prose = guard.kept_text(), ""
                calls = [self._text_call(c.name, c.arguments) for c in guard.kept]
            elif not calls and guard is not None:
                calls, unknown, prose = self._calls_in_text(text)
            self.conversation.add_assistant(text, calls)
            if usage is not None:
                count = len(self.conversation.messages)
                self.meter.record(usage.input_tokens, usage.output_tokens, count)
            self.emit(AssistantMessage(text=text, tool_calls=list(calls), prose=prose))
            repeated = [self._run_tool(call, progress) for call in calls]
            self.emit(TurnCompleted(turn=turn))
            if calls:
                progress.stuck = progress.stuck + 1 if all(repeated) else 0
                if progress.stuck >= STUCK_TURNS:
                    error = (
                        f"stopped: the model repeated the same calls with the same results "
                        f"{STUCK_TURNS} turns in a row"
                    )
                    self.emit(Error(message=error))
                    return RunOutcome("error", error=error)
                if progress.stuck:
                    self.conversation.add_user(STUCK_NUDGE)
                    self.emit(UserMessage(text=STUCK_NUDGE, kind="nudge"))
                continue
            verdict = self._judge(text, prompt, unknown, progress)
            if verdict.finished or progress.nudges >= self.config.max_nudges:
                return RunOutcome(
                    "completed",
                    final_message=text,
                    claimed_success=claims_success(text),
                    verified=progress.verified,
                )
            progress.nudges += 1
            self.conversation.add_user(verdict.nudge)
            self.emit(UserMessage(text=verdict.nudge, kind="nudge"))
        return RunOutcome(
            "max_turns", error=f"stopped after {self.config.max_turns} turns (--max-turns)"
        )

    def _calls_in_text(self, text: str) -> tuple[list[ToolCallRequest], list[str], str | None]:
        """Tool calls the model wrote in its reply, names it called that are no tools, and the
        reply without the calls (None without any)."""
        parsed = parse_text_calls(text, self.tools.names)
        calls = [self._text_call(c.name, c.arguments) for c in parsed.calls]
        return calls, parsed.unknown, parsed.prose if calls else None

    @staticmethod
    def _text_call(name: str, arguments: str) -> ToolCallRequest:
        return ToolCallRequest(f"call_{uuid.uuid4().hex[:24]}", name, arguments, from_text=True)

    def _judge(self, text: str, task: str, unknown: list[str], progress: TaskProgress) -> Verdict:
        if unknown:
            return Verdict(False, self.tools.unknown_tool_message(unknown[0]))
        return assess(
            text,
            task,
            acted=progress.acted,
            verified=progress.verified,
            tools=self.tools.names,
            strict=self.config.profile_name == "compact",
        )

    def _on_retry(self, attempt: int, delay_s: float, reason: str) -> None:
        self.emit(Retry(attempt=attempt, delay_s=delay_s, reason=reason))

    def context_tokens(self) -> int:
        return self.meter.tokens(self.conversation.messages) + len(self.conversation.system) // 4

    def _compact_if_full(self) -> None:
        if self.context_tokens() >= self.config.auto_compact_ratio * self.window:
            self.compact()

    def compact(self) -> bool:
        """Replace older turns by a summary; keeps about a quarter of the threshold verbatim.
        Returns False when there is nothing old enough to summarise."""
        messages = self.conversation.history()
        keep = int(self.config.auto_compact_ratio * self.window * 0.25)
        cut = choose_cut(messages, keep)
        if cut == 0:
            return False
        before = self.context_tokens()
        summary = summarize(
            self.model,
            messages[:cut],
            window=self.window,
            max_retries=self.config.max_retries,
            on_retry=self._on_retry,
            cancel=self.cancel,
        )
        kept = len(messages) - cut
        self.conversation.compact(summary, kept)
        self.meter.reset()
        self.emit(Compacted(summary=summary, kept_messages=kept, tokens_before=before))
        return True

    def _sample(
        self,
    ) -> tuple[str, list[ToolCallRequest], TokenUsage | None, RepeatGuard | None]:
        """One reply; the guard (None when text calls are off) holds the calls kept when the
        reply was cut short for repeating itself."""
        text: list[str] = []
        calls: list[ToolCallRequest] = []
        usage: TokenUsage | None = None
        specs = self.tools.specs()
        text_mode = self.config.tool_call_format == "text"
        native = self.config.tool_call_format == "native"
        guard = None if native else RepeatGuard(self.tools.names)
        stream = stream_with_retry(
            self.model,
            render(self.conversation.for_model(), text_mode=text_mode, specs=specs),
            [] if text_mode else specs,
            max_retries=self.config.max_retries,
            on_retry=self._on_retry,
            cancel=self.cancel,
        )
        with closing(stream):
            for item in stream:
                if isinstance(item, Restart):
                    text.clear()
                    calls.clear()
                    guard = None if native else RepeatGuard(self.tools.names)
                elif isinstance(item, TextChunk):
                    text.append(item.text)
                    self.emit(TextDelta(text=item.text))
                    if guard is not None and guard.feed(item.text):
                        break
                elif isinstance(item, ToolCallRequest):
                    calls.append(item)
                elif isinstance(item, TokenUsage):
                    usage = item
                    self._count(item)
        return "".join(text), calls, usage, guard

    def _count(self, usage: TokenUsage) -> None:
        self.tokens.input_tokens += usage.input_tokens
        self.tokens.output_tokens += usage.output_tokens
        self.emit(
            Usage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cached_input_tokens=usage.cached_input_tokens,
                total_input_tokens=self.tokens.input_tokens,
                total_output_tokens=self.tokens.output_tokens,
            )
        )

    def _run_tool(self, call: ToolCallRequest, progress: TaskProgress) -> bool:
        """Runs one call; True when it repeated an earlier call with the same output."""
        prepared = self.tools.prepare(call.name, call.arguments)
        self.emit(
            ToolCall(
                call_id=call.call_id,
                name=call.name,
                arguments=call.arguments,
                title=prepared.title,
                streams=prepared.streams,
            )
        )
        self.ctx.call_id = call.call_id
        if self.cancel.is_set():  # answered, so the conversation stays well formed
            result = ToolOutput(INTERRUPTED_TOOL, ok=False)
        else:
            result = prepared.run(self.ctx)
        progress.record(result)
        output = cap_middle(result.output, self.config.tool_output_max_bytes)
        note = progress.repeat_note(call, result)
        output += note
        self.conversation.add_tool_result(call.call_id, call.name, output)
        self.emit(
            ToolResult(
                call_id=call.call_id,
                name=call.name,
                output=output,
                ok=result.ok,
                title=prepared.title,
                detail=result.detail,
            )
        )
        return bool(note)
