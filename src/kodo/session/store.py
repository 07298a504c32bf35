"""Finding and reading rollouts, the JSONL files sessions are recorded in: by session id (or a
unique prefix of it), or the latest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kodo.events import (
    AssistantMessage,
    Event,
    SessionCompleted,
    SessionStarted,
    UserMessage,
    parse_event,
)
from kodo.session.rollout import rollouts_dir


class RolloutNotFound(Exception):
    pass


@dataclass
class RolloutSummary:
    session_id: str
    path: Path
    started: float
    cwd: str
    model: str
    first_prompt: str
    status: str
    reached_model: bool  # whether the model answered at least once


def read_events(path: Path) -> list[Event]:
    """Every well-formed event; a torn last line (the process died mid-write) is skipped."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        return events_in(handle)


def events_in(lines: Iterable[str]) -> list[Event]:
    """The events among ``lines`` (a session file, ``kodo exec --json`` output); anything else,
    such as a torn line or a line of plain text, is skipped. The one reader of the event log."""
    events: list[Event] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            events.append(parse_event(line))
        except ValueError:
            continue
    return events


def all_rollouts() -> list[Path]:
    root = rollouts_dir()
    if not root.is_dir():
        return []
    return sorted(root.glob("*/*/*/*.jsonl"), key=lambda p: p.name)


def session_id_of(path: Path) -> str:
    # file name: <YYYY-MM-DDTHH-MM-SS.ffffff>-<uuid4>.jsonl
    return path.stem[-36:]


def find_rollout(id_or_prefix: str) -> Path:
    matches = [p for p in all_rollouts() if session_id_of(p).startswith(id_or_prefix)]
    if not matches:
        raise RolloutNotFound(f"no session with id {id_or_prefix!r} (see `kodo sessions`)")
    if len({session_id_of(p) for p in matches}) > 1:
        raise RolloutNotFound(f"session id prefix {id_or_prefix!r} is ambiguous; give more of it")
    return matches[-1]


def latest_rollout() -> Path:
    files = all_rollouts()
    if not files:
        raise RolloutNotFound("no recorded sessions yet")
    return files[-1]


def summarize(path: Path) -> RolloutSummary:
    events = read_events(path)
    start = next((e for e in events if isinstance(e, SessionStarted)), None)
    prompt = next((e.text for e in events if isinstance(e, UserMessage) and e.kind == "prompt"), "")
    done = [e for e in events if isinstance(e, SessionCompleted)]
    return RolloutSummary(
        session_id=session_id_of(path),
        path=path,
        started=start.ts if start else path.stat().st_mtime,
        cwd=start.cwd if start else "?",
        model=start.model if start else "?",
        first_prompt=prompt,
        status=done[-1].status if done else "incomplete",
        reached_model=any(isinstance(e, AssistantMessage) for e in events),
    )


def recent_rollouts(limit: int, *, everything: bool = False) -> list[RolloutSummary]:
    """The newest ``limit`` sessions, newest first; unless ``everything``, only those the model
    answered (one that failed before that holds nothing to come back to)."""
    found: list[RolloutSummary] = []
    for path in reversed(all_rollouts()):
        if len(found) >= limit:
            break
        summary = summarize(path)
        if everything or summary.reached_model:
            found.append(summary)
    return found
