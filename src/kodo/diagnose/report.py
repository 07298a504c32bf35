"""Human report, verdict first; rich is imported only when a terminal report is printed."""

from __future__ import annotations

from kodo.diagnose.model import Diagnosis


def render_text(d: Diagnosis) -> str:
    out = [f"VERDICT: {d.verdict}", ""]
    if d.world_size:
        out.append(
            f"world size: {d.world_size}    files: {len(d.files)}    lines: {d.lines_scanned}"
        )
        out.append("")
    for i, f in enumerate(d.findings, 1):
        out.append(f"{i}. [{f.class_}] confidence {f.confidence:.2f}")
        out.append(f"   {f.summary}")
        if f.ranks:
            out.append(f"   ranks (culprit first): {', '.join(map(str, f.ranks[:16]))}")
        if f.hosts:
            out.append(f"   hosts: {', '.join(f.hosts[:8])}")
        for e in f.evidence:
            out.append(f"   > {e.file}:{e.line}: {e.text[:160]}")
        for fix in f.fixes:
            out.append(f"   - fix: {fix}")
        out.append("")
    if d.timeline:
        out.append("TIMELINE")
        for ev in d.timeline:
            who = f"rank {ev.rank}" if ev.rank is not None else (ev.host or "-")
            out.append(f"  {ev.time or '?':<28} {who:<10} {ev.kind:<18} {ev.text[:100]}")
        out.append("")
    out.append("VALIDATION SCRIPT")
    out.append(d.validation)
    return "\n".join(out)


def print_report(d: Diagnosis) -> None:
    from rich.console import Console

    Console(highlight=False, soft_wrap=True).print(render_text(d), markup=False)
