"""Slurm through ``sbatch``, ``scontrol``/``sacct`` and ``scancel``.

``scontrol show job`` knows running jobs and ones that ended within ``MinJobAge``; ``sacct``
(when accounting is on) knows older ones. Logs are the job's StdOut/StdErr files plus files in
its working directory whose names carry the job id (per-rank ``srun --output=...%j-%t``)."""

from __future__ import annotations

import re
from pathlib import Path

from kodo.jobs.backend import tail_lines
from kodo.jobs.client import run_client
from kodo.jobs.model import ClusterError, JobStatus, State
from kodo.jobs.spec import Cluster

_STATES: dict[str, State] = {
    "PENDING": "pending",
    "CONFIGURING": "pending",
    "REQUEUED": "pending",
    "RESV_DEL_HOLD": "pending",
    "RUNNING": "running",
    "COMPLETING": "running",
    "SUSPENDED": "running",
    "STAGE_OUT": "running",
    "COMPLETED": "succeeded",
    "FAILED": "failed",
    "NODE_FAIL": "failed",
    "OUT_OF_MEMORY": "failed",
    "BOOT_FAIL": "failed",
    "DEADLINE": "failed",
    "PREEMPTED": "failed",
    "CANCELLED": "cancelled",
    "REVOKED": "cancelled",
    "TIMEOUT": "timeout",
}
_FIELD = re.compile(r"(\w[\w/:]*)=(.*?)(?= \w[\w/:]*=|$)")
MAX_LOG_FILES = 16
MAX_LOG_BYTES = 256_000


def parse_scontrol(text: str) -> dict[str, str]:
    """``scontrol show job -o``: one line of ``Key=Value`` pairs (values may hold spaces)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return {k: v.strip() for k, v in _FIELD.findall(line)}


def parse_duration(text: str) -> float | None:
    """``[D-]HH:MM:SS`` or ``MM:SS`` as seconds."""
    m = re.fullmatch(r"(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)", text.strip())
    if not m:
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    return float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)


def status_from_fields(job_id: str, f: dict[str, str]) -> JobStatus:
    raw = f.get("JobState", f.get("State", "")).split()[0] if f else ""
    raw = raw.rstrip("+")
    code = f.get("ExitCode", "")
    exit_code = int(code.split(":")[0]) if re.match(r"\d+:\d+$", code) else None
    reason = f.get("Reason")
    logs = [Path(f[k]) for k in ("StdOut", "StdErr") if f.get(k, "").startswith("/")]
    return JobStatus(
        job_id=job_id,
        state=_STATES.get(raw, "unknown"),
        raw_state=raw,
        reason=None if reason in (None, "None", "(null)") else reason,
        exit_code=exit_code,
        elapsed_s=parse_duration(f.get("RunTime", f.get("Elapsed", ""))),
        log_files=list(dict.fromkeys(logs)),
    )


class SlurmBackend:
    def __init__(self, cluster: Cluster, env: dict[str, str]) -> None:
        self.cluster = cluster
        self.env = env
        self._workdirs: dict[str, Path] = {}

    def check(self) -> str:
        out = run_client(["sinfo", "-h", "-o", "%P %a %D %t"], env=self.env)
        parts = [line.split() for line in out.splitlines() if line.strip()]
        shown = ", ".join(f"{p[0]} ({p[1]}, {p[2]} node(s) {p[3]})" for p in parts if len(p) >= 4)
        return f"slurm: {shown or 'no partitions'}"

    def submit(self, target: str, workdir: Path) -> str:
        script = (workdir / target).resolve()
        if not script.is_file():
            raise ClusterError(f"{target}: no such sbatch script in {workdir}")
        argv = ["sbatch", "--parsable", f"--chdir={workdir}"]
        if self.cluster.partition:
            argv.append(f"--partition={self.cluster.partition}")
        if self.cluster.account:
            argv.append(f"--account={self.cluster.account}")
        argv += [*self.cluster.sbatch_args, str(script)]
        job_id = run_client(argv, env=self.env, cwd=str(workdir)).strip().split(";")[0]
        if not job_id.isdigit():
            raise ClusterError(f"sbatch answered {job_id!r}, not a job id")
        self._workdirs[job_id] = workdir
        return job_id

    def status(self, job_id: str) -> JobStatus:
        try:
            out = run_client(["scontrol", "show", "job", "-o", job_id], env=self.env)
            fields = parse_scontrol(out)
        except ClusterError:
            fields = {}
        if not fields:
            fields = self._sacct(job_id)
        if not fields:
            return JobStatus(job_id, "unknown", reason="neither scontrol nor sacct knows the job")
        if fields.get("WorkDir", "").startswith("/"):
            self._workdirs.setdefault(job_id, Path(fields["WorkDir"]))
        return status_from_fields(job_id, fields)

    def _sacct(self, job_id: str) -> dict[str, str]:
        try:
            out = run_client(
                ["sacct", "-j", job_id, "-X", "-n", "-P", "-o", "State,ExitCode,Elapsed,WorkDir"],
                env=self.env,
            )
        except ClusterError:
            return {}
        first = out.strip().splitlines()[0].split("|") if out.strip() else []
        keys = ("State", "ExitCode", "Elapsed", "WorkDir")
        return dict(zip(keys, first, strict=False)) if len(first) == len(keys) else {}

    def logs(self, job_id: str, tail: int) -> dict[str, str]:
        status = self.status(job_id)
        files = list(status.log_files)
        workdir = self._workdirs.get(job_id)
        if workdir is not None and workdir.is_dir():
            files += sorted(p for p in workdir.iterdir() if job_id in p.name and p.is_file())
        out: dict[str, str] = {}
        for path in list(dict.fromkeys(files))[:MAX_LOG_FILES]:
            try:
                with path.open("rb") as f:
                    f.seek(max(0, path.stat().st_size - MAX_LOG_BYTES))
                    text = f.read().decode("utf-8", errors="replace")
            except OSError:
                continue
            out[str(path)] = tail_lines(text, tail)
        return out

    def cancel(self, job_id: str) -> None:
        run_client(["scancel", job_id], env=self.env)
