"""The diagnosis as data: one pydantic tree so the CLI, the JSON output and the agent tool agree."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

FailureClass = Literal[
    "collective_timeout",
    "rank_desync",
    "rank_crash",
    "gpu_oom",
    "cuda_error",
    "network_interface",
    "ib_transport",
    "p2p_hang",
    "nvlink_fabric",
    "gpu_hardware",
    "shm_exhausted",
    "version_mismatch",
    "rendezvous_failure",
    "slurm_time_limit",
    "slurm_oom",
    "slurm_node_fail",
    "slurm_task_failure",
    "k8s_oom_killed",
    "k8s_crashloop",
    "k8s_image_pull",
    "k8s_scheduling",
    "k8s_evicted",
    "unknown",
]


class Evidence(BaseModel):
    file: str
    line: int
    text: str


class Finding(BaseModel):
    class_: FailureClass = Field(alias="class", serialization_alias="class")
    confidence: float = Field(ge=0.0, le=1.0)
    summary: str
    ranks: list[int] = Field(default_factory=list, description="culprit first")
    hosts: list[str] = Field(default_factory=list, description="culprit's host first")
    evidence: list[Evidence] = Field(default_factory=list)
    fixes: list[str] = Field(default_factory=list)

    model_config = {"populate_by_name": True}


class TimelineEvent(BaseModel):
    time: str | None
    rank: int | None
    host: str | None
    kind: str
    file: str
    line: int
    text: str


class Diagnosis(BaseModel):
    verdict: str
    findings: list[Finding]
    timeline: list[TimelineEvent]
    validation: str
    world_size: int | None = None
    files: list[str] = Field(default_factory=list)
    lines_scanned: int = 0
    problems: list[str] = Field(
        default_factory=list, description="inputs that were unreadable, empty, binary or cut"
    )

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)
