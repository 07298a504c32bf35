"""``[clusters.NAME]`` in the person's own config: where the ``job`` tool may submit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from kodo.records import spec

ClusterKind = Literal["slurm", "ray", "kubernetes"]


@dataclass(kw_only=True)
class Cluster:
    EXTRA: ClassVar[str] = "forbid"
    kind: ClusterKind
    partition: str | None = None  # slurm: defaults for sbatch
    account: str | None = None
    sbatch_args: list[str] = field(default_factory=list)
    address: str | None = None  # ray: the job server, e.g. http://head:8265
    context: str | None = None  # kubernetes: kubectl --context and --namespace
    namespace: str | None = None
    poll_s: float = spec(10.0, gt=0)  # how often a wait looks at the job
