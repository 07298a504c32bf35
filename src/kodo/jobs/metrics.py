"""``--done-when "val_acc >= 0.9"``: success measured from what the job reported, not claimed.

A training script reports metrics as JSON lines in its log (``{"epoch": 3, "val_acc": 0.91}``)
or in a metrics file; the last value of the named metric decides."""

from __future__ import annotations

import contextlib
import json
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass

_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq}
_CONDITION = re.compile(r"\s*([A-Za-z_][\w./-]*)\s*(>=|<=|==|>|<)\s*(-?[\d.]+(?:e-?\d+)?)\s*$")


class ConditionError(ValueError):
    pass


@dataclass(frozen=True)
class Condition:
    metric: str
    op: str
    target: float

    @classmethod
    def parse(cls, text: str) -> Condition:
        m = _CONDITION.match(text)
        if not m:
            raise ConditionError(
                f"--done-when {text!r}: expected METRIC OP NUMBER, e.g. 'val_acc >= 0.9'"
            )
        return cls(m.group(1), m.group(2), float(m.group(3)))

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.target:g}"


@dataclass(frozen=True)
class Verdict:
    condition: Condition
    value: float | None

    @property
    def met(self) -> bool:
        return self.value is not None and _OPS[self.condition.op](self.value, self.condition.target)

    def line(self) -> str:
        if self.value is None:
            return f"done-when {self.condition}: not met (no {self.condition.metric} reported)"
        verdict = "met" if self.met else "not met"
        return f"done-when {self.condition}: {verdict} ({self.condition.metric} = {self.value:g})"


def last_value(texts: Iterable[str], metric: str) -> float | None:
    """The last number reported for ``metric`` in JSON-object lines of the texts."""
    value: float | None = None
    for text in texts:
        for line in text.splitlines():
            start = line.find("{")
            if start < 0 or f'"{metric}"' not in line:
                continue
            try:
                record = json.loads(line[start:])
            except ValueError:
                continue
            found = record.get(metric) if isinstance(record, dict) else None
            if isinstance(found, int | float) and not isinstance(found, bool):
                value = float(found)
    return value


def judge(condition: Condition, texts: Iterable[str]) -> Verdict:
    return Verdict(condition, last_value(texts, condition.metric))


class RunEvidence:
    """Watches a session's events for what it reported: its tools' output and its jobs, whose
    logs are read at the end (a training job's metrics are in its logs, not in the chat)."""

    def __init__(self) -> None:
        self.outputs: list[str] = []
        self.jobs: list[tuple[str, str]] = []  # (cluster, job id), in order

    def __call__(self, event: object) -> None:
        from kodo.events import JobStatus, ToolResult

        if isinstance(event, ToolResult):
            self.outputs.append(event.output)
        elif isinstance(event, JobStatus) and (event.cluster, event.job_id) not in self.jobs:
            self.jobs.append((event.cluster, event.job_id))

    def texts(self, clusters: dict, env: dict[str, str]) -> list[str]:
        """The outputs, then the logs of the session's last job (a job that cannot be asked
        any more only loses its logs)."""
        from kodo.jobs.backend import backend_for
        from kodo.jobs.model import ClusterError

        texts = list(self.outputs)
        if self.jobs:
            name, job_id = self.jobs[-1]
            if name in clusters:
                with contextlib.suppress(ClusterError):
                    texts += backend_for(clusters[name], env).logs(job_id, 5_000).values()
        return texts
