"""Stream a source through the rule tables and return the signals it contains.

Each rule's literal needle is searched over a whole chunk with str.find; only the lines holding
a needle are split out and matched against the per-rule regexes, which keeps big logs fast.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from kodo.diagnose.reader import Progress, ReadStats, Source, chunks
from kodo.diagnose.rules import Rule, all_rules

MAX_PER_KIND = 200  # per file: keeps memory bounded when a log repeats one message forever
MAX_NOTABLE = 64  # per file: error-looking lines kept for the fallback when no rule fires
LOOKBACK_CHARS = 4096
GLOG_YEAR = 1  # glog stamps carry no year; api.py fills in the job's year afterwards

_RANK = re.compile(r"\[rank(\d+)\]:|\bRank (\d+)\]|\[Rank (\d+)\]")
# launcher prefixes seen before NCCL's ``host:pid:tid [dev]``: ANSI colour, Ray ``(Actor pid=N)``,
# ``[trainer3]:``/``[default0]:``, mpirun ``[1,0]<stderr>:``, pdsh ``node01: ``, ``[2024-.. ..] ``
_PREFIX = (
    r"(?:\x1b\[[\d;]*m|\([\w.]*\s?pid=\d+(?:, ip=[\d.]+)?\)\s?|\[[\w|.,:-]{1,40}\](?:<\w+>)?:?\s?"
    r"|[\w.-]{1,64}: (?=[\w.-]+:\d+:\d+ \[))"
)
_NCCL_PREFIX = re.compile(r"^(?:" + _PREFIX + r"){0,4}(?P<host>[\w.-]+):(?P<pid>\d+):\d+ \[\d+\] ")
# fallback evidence: lines that look like errors, scored by severity when nothing else fires
_NOTABLE_NEEDLES = (
    "rror",
    "WARN",
    "ail",
    "atal",
    "Traceback",
    "terminate",
    "xception",
    "imed out",
    "imeout",
    "Killed",
    "Abort",
    "Segmentation",
)
_SEVERITY = re.compile(
    r"(?i)(?P<fatal>fatal|terminate called|segmentation fault|core dumped|abort)"
    r"|(?P<error>\berror\b|exception|traceback|failed|failure|timed out|timeout)"
    r"|(?P<warn>\bwarn)"
)
_GLOG = re.compile(r"\[[EWIF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?")
_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)[T _](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,6}))?")
_FILE_RANK = re.compile(r"rank[_-]?(\d+)", re.IGNORECASE)


@dataclass
class Signal:
    kind: str
    file: str
    line: int
    text: str
    fields: dict[str, str] = field(default_factory=dict)
    rank: int | None = None
    host: str | None = None
    pid: int | None = None
    ts: datetime | None = None


@dataclass
class ScanResult:
    signals: list[Signal]
    lines: int
    dropped: Counter[str]
    stats: ReadStats = field(default_factory=ReadStats)
    notable: list[Signal] = field(default_factory=list)


class Scanner:
    def __init__(self, rules: list[Rule] | None = None) -> None:
        self.rules = rules or all_rules()
        self.order = {id(rule): i for i, rule in enumerate(self.rules)}
        self.by_needle: dict[str, list[Rule]] = {}
        for rule in self.rules:
            self.by_needle.setdefault(rule.needle, []).append(rule)

    def scan(self, source: Source, progress: Progress | None = None) -> ScanResult:
        signals: list[Signal] = []
        kept: Counter[str] = Counter()
        dropped: Counter[str] = Counter()
        stats = ReadStats()
        notable = _Notable()
        m = _FILE_RANK.search(source.name.rsplit("/", 1)[-1])
        file_rank = int(m.group(1)) if m else None
        lineno = 0
        for chunk in chunks(source, stats, progress):
            pos = 0  # chunk offset whose line number is lineno + 1
            for start, needles in self._candidates(chunk):
                lineno += chunk.count("\n", pos, start)
                pos = start
                line = chunk[start : chunk.find("\n", start)].rstrip("\r")
                # every error-looking line is a candidate quote, even one a rule took as context
                # (an NCCL WARN no rule classifies must not leave `unknown` empty-handed)
                notable.add(line, source.name, lineno + 1)
                rule_needles = {n for n in needles if n in self.by_needle}
                if not rule_needles:
                    continue
                sigs = self._match_line(line, rule_needles, source.name, lineno + 1, file_rank)
                if sigs and sigs[0].ts is None:
                    when = recent_time(chunk, start)
                    for sig in sigs:
                        sig.ts = when
                for sig in sigs:
                    if kept[sig.kind] >= MAX_PER_KIND:
                        dropped[sig.kind] += 1
                        continue
                    kept[sig.kind] += 1
                    signals.append(sig)
            lineno += chunk.count("\n", pos)
        return ScanResult(signals, lineno, dropped, stats, notable.lines())

    def _candidates(self, chunk: str) -> list[tuple[int, set[str]]]:
        """Line starts holding at least one needle; str.find runs at memchr speed."""
        hits: dict[int, set[str]] = {}
        for needle in (*self.by_needle, *_NOTABLE_NEEDLES):
            i = chunk.find(needle)
            while i >= 0:
                start = chunk.rfind("\n", 0, i) + 1
                hits.setdefault(start, set()).add(needle)
                end = chunk.find("\n", i)
                i = chunk.find(needle, end) if end >= 0 else -1
        return sorted(hits.items())

    def _match_line(
        self, line: str, needles: set[str], file: str, lineno: int, file_rank: int | None
    ) -> list[Signal]:
        out: list[Signal] = []
        seen: set[str] = set()
        rules = sorted(
            (r for n in needles for r in self.by_needle[n]), key=lambda r: self.order[id(r)]
        )
        for rule in rules:
            if rule.kind in seen:
                continue
            fields = rule.match(line)
            if fields is None:
                continue
            seen.add(rule.kind)
            out.append(Signal(rule.kind, file, lineno, line.strip()[:300], fields))
        if out:
            rank, host, pid, ts = _context(line, file_rank)
            for sig in out:
                sig.rank, sig.host, sig.pid, sig.ts = rank, host, pid, ts
                if "host" in sig.fields:
                    sig.host = sig.fields["host"]
        return out


def _context(
    line: str, file_rank: int | None
) -> tuple[int | None, str | None, int | None, datetime | None]:
    rank = file_rank
    m = _RANK.search(line)
    if m:
        rank = int(next(g for g in m.groups() if g is not None))
    host = pid = None
    n = _NCCL_PREFIX.match(line)
    if n:
        host, pid = n.group("host"), int(n.group("pid"))
    return rank, host, pid, parse_time(line)


class _Notable:
    """Bounded keep of error-looking lines: the first few, plus the most severe and rarest."""

    def __init__(self) -> None:
        self.first: list[Signal] = []
        self.best: list[tuple[float, int, Signal]] = []
        self.seen: Counter[str] = Counter()
        self.count = 0

    def add(self, line: str, file: str, lineno: int) -> None:
        m = _SEVERITY.search(line[:2000])
        if m is None:
            return
        weight = 3.0 if m.group("fatal") else 2.0 if m.group("error") else 1.0
        shape = re.sub(r"\d+", "#", line[:200])
        if len(self.seen) < 4096 or shape in self.seen:
            self.seen[shape] += 1
        weight -= min(self.seen[shape] - 1, 10) * 0.15  # repeated lines are less anomalous
        sig = Signal("notable", file, lineno, line.strip()[:300], ts=parse_time(line))
        self.count += 1
        if len(self.first) < 4:
            self.first.append(sig)
        heapq.heappush(self.best, (weight, -self.count, sig))
        if len(self.best) > MAX_NOTABLE:
            heapq.heappop(self.best)

    def lines(self) -> list[Signal]:
        ranked = [s for _, _, s in sorted(self.best, key=lambda t: (-t[0], -t[1]))]
        out: list[Signal] = []
        for s in [*self.first, *ranked]:
            if all(s.line != o.line for o in out):
                out.append(s)
        return out[: MAX_NOTABLE + 4]


def recent_time(chunk: str, start: int) -> datetime | None:
    """Tracebacks carry no stamp: borrow the nearest one from the lines just above."""
    window = chunk[max(0, start - LOOKBACK_CHARS) : start]
    for line in reversed(window.splitlines()):
        ts = parse_time(line)
        if ts is not None:
            return ts
    return None


def parse_time(line: str) -> datetime | None:
    try:
        m = _ISO.search(line)
        if m:
            y, mo, d, h, mi, s, frac = m.groups()
            return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), _micros(frac))
        g = _GLOG.search(line)
        if g:
            mo, d, h, mi, s, frac = g.groups()
            return datetime(GLOG_YEAR, int(mo), int(d), int(h), int(mi), int(s), _micros(frac))
    except ValueError:
        return None
    return None


def _micros(frac: str | None) -> int:
    return int((frac or "0").ljust(6, "0")[:6])
