"""What every cluster backend offers, and the one place that picks the backend for a cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from kodo.jobs.model import JobStatus
from kodo.jobs.spec import Cluster


class Backend(Protocol):
    def check(self) -> str:
        """A short description of the reachable cluster; ``ClusterError`` when it is not."""
        ...

    def submit(self, target: str, workdir: Path) -> str:
        """Submits ``target`` (an sbatch script, a Ray entrypoint, a manifest file) and returns
        the job id."""
        ...

    def status(self, job_id: str) -> JobStatus: ...

    def logs(self, job_id: str, tail: int) -> dict[str, str]:
        """The last ``tail`` lines of each log the backend can reach, by source (file, pod,
        rank)."""
        ...

    def cancel(self, job_id: str) -> None: ...


def backend_for(cluster: Cluster, env: dict[str, str]) -> Backend:
    if cluster.kind == "slurm":
        from kodo.jobs.slurm import SlurmBackend

        return SlurmBackend(cluster, env)
    if cluster.kind == "ray":
        from kodo.jobs.ray_jobs import RayBackend

        return RayBackend(cluster, env)
    from kodo.jobs.kubernetes import KubernetesBackend

    return KubernetesBackend(cluster, env)


def tail_lines(text: str, n: int) -> str:
    lines = text.splitlines()
    return "\n".join(lines[-n:]) if n > 0 else ""
