from __future__ import annotations

import pytest

from kodo.events import SessionCompleted, SessionStarted, TextDelta, UserMessage
from kodo.session.rollout import RolloutWriter, new_rollout_path, new_session_id
from kodo.session.store import (
    RolloutNotFound,
    find_rollout,
    latest_rollout,
    read_events,
    session_id_of,
    summarize,
)


def record(prompt: str) -> str:
    sid = new_session_id()
    writer = RolloutWriter(new_rollout_path(sid))
    writer(SessionStarted(session_id=sid, model="m", provider="openai-chat", cwd="/w"))
    writer(UserMessage(text="instructions", kind="instructions"))
    writer(UserMessage(text=prompt))
    writer(TextDelta(text="not recorded"))
    writer(SessionCompleted(status="completed", exit_code=0))
    writer.close()
    return sid


def test_round_trip_and_lookup() -> None:
    first = record("one")
    second = record("two")
    path = find_rollout(second[:8])
    assert session_id_of(path) == second
    assert path.stat().st_mode & 0o777 == 0o600
    summary = summarize(find_rollout(first))
    assert (summary.first_prompt, summary.status) == ("one", "completed")
    assert not any(isinstance(e, TextDelta) for e in read_events(path))
    assert session_id_of(latest_rollout()) == second


def test_torn_last_line_is_skipped() -> None:
    sid = record("p")
    path = find_rollout(sid)
    with path.open("a") as handle:
        handle.write('{"type": "assistant_mess')
    events = read_events(path)
    assert [e.type for e in events][-1] == "session_completed"


def test_unknown_session_is_a_clear_error() -> None:
    with pytest.raises(RolloutNotFound, match="kodo sessions"):
        find_rollout("does-not-exist")
