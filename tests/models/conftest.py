from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import pytest

from kodo.config import Config
from kodo.models.base import Message, Model, StreamItem, TextChunk, ToolSpec
from kodo.models.factory import create_model
from kodo.models.retry import Restart, stream_with_retry
from tests.fakes.anthropic_server import ScriptedAnthropicServer
from tests.fakes.http import ScriptedServer
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Entry

KEY = "test-key-5e1b"
KEY_ENV = {
    "openai-chat": "OPENAI_API_KEY",
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
}
SHELL = ToolSpec(
    "shell",
    "Run a command.",
    {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
)
PROMPT = [Message("system", "You are a test."), Message("user", "hello")]


@dataclass
class Outcome:
    items: list[StreamItem | Restart]
    retries: list[tuple[int, float, str]] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The answer as the loop keeps it: what came after the last Restart."""
        kept: list[str] = []
        for item in self.items:
            if isinstance(item, Restart):
                kept.clear()
            elif isinstance(item, TextChunk):
                kept.append(item.text)
        return "".join(kept)

    def of(self, kind: type) -> list[Any]:
        return [i for i in self.items if isinstance(i, kind)]


@dataclass
class Provider:
    """One provider against its scripted server, with its key in the environment."""

    name: str

    @property
    def key_env(self) -> str:
        return KEY_ENV[self.name]

    def server(self, script: list[Entry]) -> ScriptedServer:
        if self.name == "anthropic":
            return ScriptedAnthropicServer(script)
        return ScriptedOpenAIServer(script)

    def model(self, base_url: str, **config: Any) -> Model:
        return create_model(
            Config(provider=self.name, base_url=base_url, model="scripted", **config)
        )

    def run(
        self,
        model: Model,
        messages: list[Message] | None = None,
        tools: list[ToolSpec] | None = None,
        *,
        max_retries: int = 3,
    ) -> Outcome:
        """Streams one answer through the retry policy, recording retries and waits."""
        out = Outcome(items=[])

        def on_retry(attempt: int, delay_s: float, reason: str) -> None:
            out.retries.append((attempt, delay_s, reason))

        stream = stream_with_retry(
            model,
            messages or PROMPT,
            [SHELL] if tools is None else tools,
            max_retries=max_retries,
            on_retry=on_retry,
            sleep=out.delays.append,
        )
        for item in stream:
            out.items.append(item)
        return out


@pytest.fixture(params=["openai-chat", "openai", "anthropic"])
def provider(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Provider:
    p = Provider(request.param)
    monkeypatch.setenv(p.key_env, KEY)
    return p


def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
