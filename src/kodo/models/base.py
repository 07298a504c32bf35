"""The Model protocol every provider implements, and the provider-neutral conversation types.

A provider turns a list of ``Message`` plus tool schemas into a stream of ``TextChunk``,
``ToolCallRequest`` and ``TokenUsage`` items. It raises ``ModelError`` for anything that went
wrong; ``retryable`` tells the retry wrapper whether trying again can help.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from kodo.events import ToolCallRequest


@dataclass
class Message:
    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: list[ToolCallRequest] = field(default_factory=list)  # role == "assistant"
    tool_call_id: str | None = None  # role == "tool"
    name: str | None = None  # role == "tool": the tool's name


@dataclass
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]  # JSON schema of the arguments object


@dataclass
class TextChunk:
    text: str


@dataclass
class TokenUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0


StreamItem = TextChunk | ToolCallRequest | TokenUsage


class ModelError(Exception):
    """A failed model request. ``retryable`` errors are retried with backoff by ``retry.py``."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
        quick: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status
        self.quick = quick  # unreachable server: retried once, then reported in seconds


class Model(Protocol):
    provider: str
    name: str

    def stream(self, messages: list[Message], tools: list[ToolSpec]) -> Iterator[StreamItem]:
        """Send one request and yield its answer as it arrives.

        The first message is the system prompt. Tool calls are yielded whole (arguments complete)
        once the provider has finished streaming them. Usage comes last when the provider sends it.
        """
        ...
