"""``[clusters.NAME]`` in the person's own config: where the ``job`` tool may submit."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ClusterKind = Literal["slurm", "ray", "kubernetes"]


class Cluster(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ClusterKind
    partition: str | None = None  # slurm: defaults for sbatch
    account: str | None = None
    sbatch_args: list[str] = Field(default_factory=list)
    address: str | None = None  # ray: the job server, e.g. http://head:8265
    context: str | None = None  # kubernetes: kubectl --context and --namespace
    namespace: str | None = None
    poll_s: float = Field(default=10.0, gt=0)  # how often a wait looks at the job
