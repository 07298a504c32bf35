"""Score the analyser against a corpus of real failure logs (``tests/data/diagnose/real``).

Each case is a directory holding the log files as a public thread posted them and a
``case.toml`` with the cause that thread established. The test suite and
``benchmarks/bench_diagnose_real.py`` share this code so they print the same table.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from kodo.diagnose.api import diagnose_paths

CLASS_GOAL = 0.90
CULPRIT_GOAL = 0.80


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    expected_class: str
    culprit_rank: int | None
    culprit_host: str | None
    heldout: bool
    meta: dict[str, object]


@dataclass(frozen=True)
class Outcome:
    case: Case
    got_class: str
    got_ranks: list[int]
    got_hosts: list[str]
    verdict: str

    @property
    def class_ok(self) -> bool:
        return self.got_class == self.case.expected_class

    @property
    def names_culprit(self) -> bool:
        return self.case.culprit_rank is not None or self.case.culprit_host is not None

    @property
    def culprit_ok(self) -> bool:
        """The top finding must put the thread's culprit first (rank or host/pod)."""
        rank, host = self.case.culprit_rank, self.case.culprit_host
        if rank is not None and self.got_ranks[:1] == [rank]:
            return True
        return host is not None and self.got_hosts[:1] == [host]


@dataclass(frozen=True)
class Score:
    cases: int
    class_hits: int
    culprit_cases: int
    culprit_hits: int

    @property
    def class_rate(self) -> float:
        return self.class_hits / self.cases if self.cases else 1.0

    @property
    def culprit_rate(self) -> float:
        return self.culprit_hits / self.culprit_cases if self.culprit_cases else 1.0


def load_cases(root: Path) -> list[Case]:
    cases: list[Case] = []
    for toml_path in sorted(root.glob("*/case.toml")):
        meta = tomllib.loads(toml_path.read_text())
        cases.append(
            Case(
                name=toml_path.parent.name,
                path=toml_path.parent,
                expected_class=str(meta["expected_class"]),
                culprit_rank=meta.get("culprit_rank"),
                culprit_host=meta.get("culprit_host"),
                heldout=bool(meta.get("heldout", False)),
                meta=meta,
            )
        )
    return cases


def run_case(case: Case) -> Outcome:
    """Diagnose the case's logs (case.toml is metadata, never input)."""
    logs = sorted(str(p) for p in case.path.iterdir() if p.name != "case.toml")
    top = diagnose_paths(logs).findings[0]
    verdict = f"{top.class_} ({top.confidence:.0%}): {top.summary}"
    return Outcome(case, top.class_, top.ranks, top.hosts, verdict)


def score(outcomes: list[Outcome]) -> Score:
    named = [o for o in outcomes if o.names_culprit]
    return Score(
        cases=len(outcomes),
        class_hits=sum(o.class_ok for o in outcomes),
        culprit_cases=len(named),
        culprit_hits=sum(o.culprit_ok for o in named),
    )


def report(outcomes: list[Outcome]) -> str:
    """Accuracy table (all / development / held-out) followed by every miss."""
    parts = {
        "all": outcomes,
        "development": [o for o in outcomes if not o.case.heldout],
        "held-out": [o for o in outcomes if o.case.heldout],
    }
    lines = [f"{'split':<12} {'cases':>5} {'class top-1':>14} {'culprit':>14}"]
    for name, subset in parts.items():
        s = score(subset)
        lines.append(
            f"{name:<12} {s.cases:>5} "
            f"{s.class_hits:>4}/{s.cases:<3} {s.class_rate:>5.0%} "
            f"{s.culprit_hits:>4}/{s.culprit_cases:<3} {s.culprit_rate:>5.0%}"
        )
    lines.append(f"goal: class >= {CLASS_GOAL:.0%}, culprit >= {CULPRIT_GOAL:.0%}")
    misses = [o for o in outcomes if not o.class_ok or (o.names_culprit and not o.culprit_ok)]
    if misses:
        lines.append("")
        lines.append("misses:")
    for o in misses:
        want = o.case.expected_class
        if o.names_culprit:
            want += f" culprit={o.case.culprit_rank if o.case.culprit_rank is not None else ''}"
            want += o.case.culprit_host or ""
        tag = " [held-out]" if o.case.heldout else ""
        lines.append(f"  {o.case.name}{tag}: want {want}; got {o.verdict[:110]}")
        lines.append(f"      ranks={o.got_ranks[:4]} hosts={o.got_hosts[:3]}")
    return "\n".join(lines)
