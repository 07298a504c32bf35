"""``diagnose_paths``: the one entry point shared by the CLI and the agent tool."""

from __future__ import annotations

from datetime import datetime

from kodo.diagnose.findings import build_findings
from kodo.diagnose.model import Diagnosis
from kodo.diagnose.ranks import analyse
from kodo.diagnose.reader import InputError, Progress, expand
from kodo.diagnose.scanner import GLOG_YEAR, Scanner, Signal
from kodo.diagnose.timeline import build_timeline
from kodo.diagnose.validation import validation_script


def diagnose_paths(paths: list[str], progress: Progress | None = None) -> Diagnosis:
    """Scan PATHS and diagnose.

    Inputs that cannot be read are listed in ``Diagnosis.problems`` and the rest is still
    analysed; ``InputError`` is raised only when not a single input could be read.
    """
    expanded = expand(paths)
    problems = list(expanded.problems)
    scanner = Scanner()
    signals: list[Signal] = []
    notable: list[Signal] = []
    read: list[str] = []
    lines = 0
    for src in expanded.sources:
        try:
            result = scanner.scan(src, progress)
        except InputError as exc:
            problems.append(str(exc))
            continue
        read.append(src.name)
        signals.extend(result.signals)
        notable.extend(result.notable)
        lines += result.lines
        if result.stats.binary:
            problems.append(f"{src.name}: binary data (not text or UTF-16), skipped")
        elif result.stats.chars == 0:
            problems.append(f"{src.name}: empty input")
        if result.stats.long_lines:
            problems.append(
                f"{src.name}: {result.stats.long_lines} over-long line(s) cut to their first MB"
            )
    if not read:
        raise InputError("; ".join(problems) or "no readable input")
    _fill_year(signals)
    analysis = analyse(signals)
    findings = build_findings(signals, analysis, notable)
    top = findings[0]
    hosts = {h for f in findings for h in f.hosts if h in analysis.rank_hosts.values()}
    verdict = f"{top.class_} ({top.confidence:.0%}): {top.summary}"
    return Diagnosis(
        verdict=verdict,
        findings=findings,
        timeline=build_timeline(signals),
        validation=validation_script(findings, analysis.world_size, len(hosts)),
        world_size=analysis.world_size,
        files=read,
        lines_scanned=lines,
        problems=problems,
    )


def _fill_year(signals: list[Signal]) -> None:
    """glog stamps have no year: borrow the job's year from ISO stamps so they sort together."""
    years = [s.ts.year for s in signals if s.ts and s.ts.year != GLOG_YEAR]
    year = max(years) if years else datetime.now().year
    for s in signals:
        if s.ts and s.ts.year == GLOG_YEAR:
            try:
                s.ts = s.ts.replace(year=year)
            except ValueError:  # Feb 29 in a non-leap year
                s.ts = s.ts.replace(year=year, day=28)
