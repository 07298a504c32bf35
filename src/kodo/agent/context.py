"""How full the model's context window is: provider-reported usage where there is some, and a
local estimate (no tokenizer downloads) for what was added since."""

from __future__ import annotations

from kodo.config import Config
from kodo.models.base import Message

# Longest prefix wins; figures are the providers' published context windows.
KNOWN_WINDOWS: dict[str, int] = {
    "gpt-5": 400_000,
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "claude": 200_000,
    "qwen2.5-coder": 32_768,
    "qwen3": 131_072,
    "llama-3": 131_072,
    "deepseek": 128_000,
}
DEFAULT_WINDOW = 128_000
CHARS_PER_TOKEN = 4
PER_MESSAGE_TOKENS = 4


def context_window(config: Config) -> int:
    if config.context_window:
        return config.context_window
    name = config.model.lower().rsplit("/", 1)[-1]
    matches = [prefix for prefix in KNOWN_WINDOWS if name.startswith(prefix)]
    return KNOWN_WINDOWS[max(matches, key=len)] if matches else DEFAULT_WINDOW


def estimate_tokens(messages: list[Message]) -> int:
    chars = 0
    for m in messages:
        chars += len(m.content) + sum(len(c.name) + len(c.arguments) for c in m.tool_calls)
    return chars // CHARS_PER_TOKEN + PER_MESSAGE_TOKENS * len(messages)


class ContextMeter:
    """Tracks the conversation's size in tokens between requests."""

    def __init__(self) -> None:
        self.reported: int | None = None  # input + output tokens of the last response
        self.reported_at = 0  # number of messages the conversation had at that point

    def record(self, input_tokens: int, output_tokens: int, message_count: int) -> None:
        self.reported = input_tokens + output_tokens
        self.reported_at = message_count

    def reset(self) -> None:
        self.reported = None
        self.reported_at = 0

    def tokens(self, messages: list[Message]) -> int:
        if self.reported is None:
            return estimate_tokens(messages)
        return self.reported + estimate_tokens(messages[self.reported_at :])
