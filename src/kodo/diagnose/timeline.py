"""Merge key events from every rank's log into one time-ordered story."""

from __future__ import annotations

from datetime import datetime

from kodo.diagnose.model import TimelineEvent
from kodo.diagnose.ranks import INFO_KINDS
from kodo.diagnose.scanner import GLOG_YEAR, Signal

MAX_EVENTS = 60


def build_timeline(signals: list[Signal]) -> list[TimelineEvent]:
    """First occurrence of each (rank, host, kind), timestamped events first in time order."""
    seen: set[tuple[int | None, str | None, str]] = set()
    picked: list[Signal] = []
    for s in signals:
        key = (s.rank, s.host, s.kind)
        if s.kind in INFO_KINDS or key in seen:
            continue
        seen.add(key)
        picked.append(s)
    picked.sort(key=lambda s: (s.ts is None, s.ts or datetime.min, s.file, s.line))
    return [
        TimelineEvent(
            time=_fmt(s),
            rank=s.rank,
            host=s.host,
            kind=s.kind,
            file=s.file,
            line=s.line,
            text=s.text[:200],
        )
        for s in picked[:MAX_EVENTS]
    ]


def _fmt(s: Signal) -> str | None:
    if s.ts is None:
        return None
    if s.ts.year == GLOG_YEAR:
        return s.ts.strftime("%m-%dT%H:%M:%S.%f")
    return s.ts.isoformat()
