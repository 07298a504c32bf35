"""Ray through ``ray job submit|status|logs|stop`` against the cluster's job server."""

from __future__ import annotations

import re
import shutil
import sys
import uuid
from pathlib import Path

from kodo.jobs.backend import tail_lines
from kodo.jobs.client import run_client
from kodo.jobs.model import ClusterError, JobStatus, State
from kodo.jobs.spec import Cluster

_STATES: dict[str, State] = {
    "PENDING": "pending",
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "STOPPED": "cancelled",
}
_STATUS = re.compile(r"Status for job '[^']*': (\w+)")
_ENDED = re.compile(r"Job '[^']*' (?:was )?(succeeded|failed|stopped)")
_MESSAGE = re.compile(r"Status message: (.*)")
_EXIT = re.compile(r"exit code (-?\d+)")
_PLAIN = ("--log-style", "record", "--log-color", "false")


def parse_status(job_id: str, text: str) -> JobStatus:
    m = _STATUS.search(text)
    raw = m.group(1) if m else ""
    if not raw and (e := _ENDED.search(text)):
        raw = e.group(1).upper()
    message = _MESSAGE.search(text)
    reason = message.group(1).strip() if message else None
    code = _EXIT.search(reason or "")
    return JobStatus(
        job_id=job_id,
        state=_STATES.get(raw, "unknown"),
        raw_state=raw,
        reason=reason,
        exit_code=int(code.group(1)) if code else (0 if raw == "SUCCEEDED" else None),
    )


class RayBackend:
    def __init__(self, cluster: Cluster, env: dict[str, str]) -> None:
        if not cluster.address:
            raise ClusterError(
                "a ray cluster needs `address` (the job server, e.g. http://head:8265)"
            )
        self.address = cluster.address
        self.env = env
        # the ray CLI of kodo's own environment (kodo[ray]) when none is on PATH
        beside = Path(sys.executable).with_name("ray")
        found = shutil.which("ray", path=env.get("PATH"))
        self.ray = found or (str(beside) if beside.exists() else "ray")

    def _ray(self, *args: str) -> str:
        argv = [self.ray, "job", *args, "--address", self.address, *_PLAIN]
        return run_client(argv, env=self.env)

    def check(self) -> str:
        self._ray("list")
        return f"ray: job server at {self.address}"

    def submit(self, target: str, workdir: Path) -> str:
        job_id = f"kodo-{uuid.uuid4().hex[:12]}"
        where = ["--address", self.address, "--working-dir", str(workdir), "--no-wait"]
        entry = ["--", "bash", "-c", target]  # the CLI quotes each word: keep the shell syntax
        run_client(
            [self.ray, "job", "submit", *where, *_PLAIN, "--submission-id", job_id, *entry],
            env=self.env,
            timeout_s=300,  # uploads the working directory
        )
        return job_id

    def status(self, job_id: str) -> JobStatus:
        return parse_status(job_id, self._ray("status", job_id))

    def logs(self, job_id: str, tail: int) -> dict[str, str]:
        return {"driver": tail_lines(self._ray("logs", job_id), tail)}

    def cancel(self, job_id: str) -> None:
        self._ray("stop", "--no-wait", job_id)
