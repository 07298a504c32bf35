"""Compaction: when the conversation nears the context window, older turns are replaced by a
model-written summary and recent turns stay verbatim.

The older part is sent to the model as a plain transcript (not as chat turns) so that providers
never see tool calls split from their results, and so the summary request can be capped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from kodo.agent.context import estimate_tokens
from kodo.agent.instructions import prompt_template
from kodo.models.base import Message, Model, TextChunk
from kodo.models.retry import Restart, stream_with_retry
from kodo.text import cap_middle

SUMMARY_HEADER = "Summary of the earlier conversation (older turns were compacted):\n\n"
MESSAGE_CHARS = 4_000


def transcript(messages: list[Message], max_chars: int) -> str:
    parts = []
    for m in messages:
        text = cap_middle(m.content, MESSAGE_CHARS)
        if m.role == "assistant":
            calls = "".join(f"\n[called {c.name} {c.arguments}]" for c in m.tool_calls)
            parts.append(f"ASSISTANT: {text}{calls}")
        elif m.role == "tool":
            parts.append(f"TOOL RESULT ({m.name}): {text}")
        else:
            parts.append(f"{m.role.upper()}: {text}")
    return cap_middle("\n\n".join(parts), max_chars)


def choose_cut(messages: list[Message], keep_tokens: int) -> int:
    """Index where the verbatim tail begins: as much recent history as fits ``keep_tokens``,
    starting at a message that is not a tool result (a result needs the call before it)."""
    cut = len(messages)
    kept = 0
    while cut > 0:
        size = estimate_tokens(messages[cut - 1 : cut])
        if kept + size > keep_tokens:
            break
        kept += size
        cut -= 1
    while cut < len(messages) and messages[cut].role == "tool":
        cut += 1
    return cut


def summarize(
    model: Model,
    older: list[Message],
    *,
    window: int,
    max_retries: int,
    on_retry: Callable[[int, float, str], None],
    cancel: threading.Event | None = None,
) -> str:
    """Raises ``models.cancel.Cancelled`` when ``cancel`` is set meanwhile."""
    request = [
        Message("system", prompt_template("compact.md")),
        Message("user", transcript(older, max_chars=window * 2)),
    ]
    text: list[str] = []
    for item in stream_with_retry(
        model, request, [], max_retries=max_retries, on_retry=on_retry, cancel=cancel
    ):
        if isinstance(item, Restart):
            text.clear()
        elif isinstance(item, TextChunk):
            text.append(item.text)
    return SUMMARY_HEADER + "".join(text).strip()
