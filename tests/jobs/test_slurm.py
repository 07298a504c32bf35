"""The Slurm backend against a real single-node Slurm: jobs that succeed, fail, run past their
time limit and get cancelled, seen through sbatch, scontrol and the jobs' own log files."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodo.jobs.backend import backend_for
from kodo.jobs.model import ClusterError
from kodo.jobs.spec import Cluster
from kodo.jobs.wait import wait_for


def script(workdir: Path, name: str, body: str, *directives: str) -> str:
    lines = ["#!/bin/bash", "#SBATCH --output=%x-%j.out", *(f"#SBATCH {d}" for d in directives)]
    (workdir / name).write_text("\n".join([*lines, body, ""]))
    return name


def backend(slurm: dict[str, str]):
    return backend_for(Cluster(kind="slurm", partition="debug", poll_s=0.5), slurm)


def test_check_names_the_partition(slurm: dict[str, str]) -> None:
    assert "debug* (up, 1 node(s) idle)" in backend(slurm).check()  # * marks the default


def test_a_job_that_succeeds(slurm: dict[str, str], tmp_path: Path) -> None:
    b = backend(slurm)
    job = b.submit(script(tmp_path, "ok.sh", 'echo "hello from $SLURM_JOB_ID"'), tmp_path)
    done = wait_for(b, job, timeout_s=60, poll_s=0.5, until="finish")
    assert (done.end, done.status.state, done.status.exit_code) == ("finished", "succeeded", 0)
    logs = b.logs(job, 20)
    assert any(f"hello from {job}" in text for text in logs.values()), logs


def test_a_job_that_fails_keeps_its_exit_code_and_logs(slurm, tmp_path: Path) -> None:
    b = backend(slurm)
    body = 'echo "rank 0 starting"; echo "RuntimeError: CUDA error" >&2; exit 3'
    job = b.submit(script(tmp_path, "bad.sh", body), tmp_path)
    done = wait_for(b, job, timeout_s=60, poll_s=0.5, until="finish")
    assert (done.status.state, done.status.raw_state, done.status.exit_code) == (
        "failed",
        "FAILED",
        3,
    )
    text = "\n".join(b.logs(job, 20).values())
    assert "rank 0 starting" in text and "RuntimeError: CUDA error" in text


def test_a_job_past_its_time_limit(slurm, tmp_path: Path) -> None:
    b = backend(slurm)
    job = b.submit(script(tmp_path, "slow.sh", "sleep 300", "--time=0:05"), tmp_path)
    done = wait_for(b, job, timeout_s=120, poll_s=1, until="finish")
    assert (done.status.state, done.status.raw_state) == ("timeout", "TIMEOUT")


def test_cancel_a_running_job_and_wait_for_a_pattern(slurm, tmp_path: Path) -> None:
    b = backend(slurm)
    body = 'for i in $(seq 1 300); do echo "step $i loss 0.$i"; sleep 0.2; done'
    job = b.submit(script(tmp_path, "train.sh", body), tmp_path)
    seen = wait_for(b, job, timeout_s=60, poll_s=0.5, pattern=r"step 5 loss")
    assert seen.end == "pattern" and seen.matched == "step 5 loss 0.5"
    assert seen.status.state == "running"
    b.cancel(job)
    done = wait_for(b, job, timeout_s=60, poll_s=0.5, until="finish")
    assert done.status.state == "cancelled"


def test_submit_errors_are_clear(slurm, tmp_path: Path) -> None:
    b = backend(slurm)
    with pytest.raises(ClusterError, match="no such sbatch script"):
        b.submit("missing.sh", tmp_path)
    bad = backend_for(Cluster(kind="slurm", partition="nope"), slurm)
    with pytest.raises(ClusterError, match="sbatch --parsable"):
        bad.submit(script(tmp_path, "x.sh", "true"), tmp_path)
    assert b.status("999999").state == "unknown"
