"""``diagnose_paths``: the one entry point shared by the CLI and the agent tool."""

from __future__ import annotations

from datetime import datetime

from kodo.diagnose.findings import build_findings
from kodo.diagnose.model import Diagnosis
from kodo.diagnose.ranks import analyse
from kodo.diagnose.reader import expand
from kodo.diagnose.scanner import GLOG_YEAR, Scanner, Signal
from kodo.diagnose.timeline import build_timeline
from kodo.diagnose.validation import validation_script


def diagnose_paths(paths: list[str]) -> Diagnosis:
    """Scan PATHS and diagnose; raises ``InputError`` when a path cannot be read."""
    sources = expand(paths)
    scanner = Scanner()
    signals: list[Signal] = []
    lines = 0
    for src in sources:
        result = scanner.scan(src)
        signals.extend(result.signals)
        lines += result.lines
    _fill_year(signals)
    analysis = analyse(signals)
    findings = build_findings(signals, analysis)
    top = findings[0]
    hosts = {h for f in findings for h in f.hosts if h in analysis.rank_hosts.values()}
    verdict = f"{top.class_} ({top.confidence:.0%}): {top.summary}"
    return Diagnosis(
        verdict=verdict,
        findings=findings,
        timeline=build_timeline(signals),
        validation=validation_script(findings, analysis.world_size, len(hosts)),
        world_size=analysis.world_size,
        files=[s.name for s in sources],
        lines_scanned=lines,
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
