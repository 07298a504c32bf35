"""A failed job is diagnosed before the model sees it: its logs (every rank, pod or file the
backend reaches) go through ``kodo diagnose`` and the model gets the verdict, the culprit, the
evidence and the fixes, not pages of raw log."""

from __future__ import annotations

import tempfile
from pathlib import Path

from kodo.jobs.backend import Backend
from kodo.jobs.model import JobStatus

TRIAGE_TAIL_LINES = 2_000
MAX_EVIDENCE = 4
MAX_FIXES = 3


def triage(status: JobStatus, logs: dict[str, str]) -> str:
    """The diagnosis of a failed job as a few lines of text (or why there is none)."""
    from kodo.diagnose import InputError, diagnose_paths

    texts = {name: text for name, text in logs.items() if text.strip()}
    if status.reason:
        texts["scheduler"] = f"{status.raw_state}: {status.reason}"
    if not texts:
        return "diagnosis: no logs could be read for this job."
    with tempfile.TemporaryDirectory(prefix="kodo-triage-") as folder:
        paths = []
        for i, (name, text) in enumerate(sorted(texts.items())):
            path = Path(folder) / f"{i:02d}-{_safe(name)}.log"
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        try:
            diagnosis = diagnose_paths(paths)
        except InputError as exc:
            return f"diagnosis: the logs could not be read ({exc})."
    top = diagnosis.findings[0]
    lines = [f"diagnosis: {top.class_} ({top.confidence:.0%}): {top.summary}"]
    culprits = [f"rank {r}" for r in top.ranks] + [f"host {h}" for h in top.hosts]
    if culprits:
        lines.append("culprit: " + ", ".join(culprits))
    lines += [f"evidence: {e.text}" for e in top.evidence[:MAX_EVIDENCE]]
    lines += [f"fix: {fix}" for fix in top.fixes[:MAX_FIXES]]
    return "\n".join(lines)


def verdict_lines(text: str) -> list[str]:
    """The diagnosis, culprit and first fix of a result that carries a ``triage``: what a person
    reading kodo's output needs; the evidence and the other fixes are for the model."""
    lines = text.splitlines()
    verdict = [line for line in lines if line.startswith(("diagnosis: ", "culprit: "))]
    return verdict + [line for line in lines if line.startswith("fix: ")][:1]


def triage_job(backend: Backend, status: JobStatus) -> str:
    """``triage`` of a job's own logs, as far back as the diagnosis needs."""
    return triage(status, backend.logs(status.job_id, TRIAGE_TAIL_LINES))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[-60:]
