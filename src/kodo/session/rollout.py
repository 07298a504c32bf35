"""Rollouts: the file a session is recorded in, one JSON event per line, appended and flushed
as each event happens, so a session killed with SIGKILL still leaves every event it had emitted,
readable. They live under ``$KODO_HOME/sessions``, the name people know from ``kodo sessions``."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from kodo.config import kodo_home
from kodo.events import CommandOutput, Event, TextDelta, to_json


def rollouts_dir() -> Path:
    return kodo_home() / "sessions"


def new_rollout_path(session_id: str, now: datetime | None = None) -> Path:
    now = now or datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H-%M-%S.%f")
    return rollouts_dir() / now.strftime("%Y/%m/%d") / f"{stamp}-{session_id}.jsonl"


def new_session_id() -> str:
    return str(uuid.uuid4())


class RolloutWriter:
    """Appends events to a session file. Text deltas and streamed command output are skipped:
    the complete assistant message or tool result follows them, and a log of every token or
    output chunk would only grow the file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.path = path
        self._file = os.fdopen(fd, "a", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        if isinstance(event, TextDelta | CommandOutput) or self._file.closed:
            return
        self._file.write(to_json(event) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()
