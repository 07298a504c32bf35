"""The wait's heartbeat against the real test Slurm cluster: one ``job wait`` call (no model in
the loop) on a job that prints now and then keeps the person's card alive, an event when new
output appears and, through each silence, one every ``heartbeat_s``."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from kodo.config import load_config
from kodo.jobs.backend import backend_for
from kodo.tools.base import ToolContext
from kodo.tools.job import HEARTBEAT_S, JobArgs, JobTool

BEAT_S = 1.0
POLL_S = 0.25
# a poll asks scontrol and reads the logs: a beat may come that much after it is due
LATE_S = 1.5
JOB = """#!/bin/bash
#SBATCH --output=beat-%j.out
for step in 1 2 3; do echo "step $step loss 0.$((9 - step))"; sleep 4; done
"""


def test_a_long_wait_beats_at_the_interval_with_new_output(
    slurm, kodo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert JobTool().heartbeat_s == HEARTBEAT_S == 60.0  # the default stays a minute
    monkeypatch.setenv("SLURM_CONF", slurm["SLURM_CONF"])
    (kodo_home / "config.toml").write_text(
        f'[clusters.lab]\nkind = "slurm"\npartition = "debug"\npoll_s = {POLL_S}\n'
    )
    config = load_config(tmp_path)
    (tmp_path / "beat.sh").write_text(JOB)
    job_id = backend_for(config.clusters["lab"], slurm).submit("beat.sh", tmp_path)
    events: list = []
    ctx = ToolContext(cwd=tmp_path, config=config, emit=events.append, executor=None)  # type: ignore[arg-type]

    out = JobTool(heartbeat_s=BEAT_S).run(JobArgs(action="wait", job_id=job_id), ctx)

    assert out.ok and out.output.startswith(f"job {job_id}: succeeded"), out.output
    assert (events[-1].state, events[-1].heartbeat) == ("succeeded", False)
    assert all(e.job_id == job_id for e in events)
    beats = [e for e in events if e.heartbeat and e.state == "running"]
    elapsed = [e.elapsed_s for e in events]
    assert elapsed == sorted(elapsed) and len(set(elapsed)) == len(elapsed)  # time goes on
    # new output reaches the card as it appears...
    for step in (1, 2, 3):
        first = next(e for e in beats if any(f"step {step} " in ln for ln in e.last_lines))
        assert f"step {step + 1} " not in " ".join(first.last_lines)
    assert beats[-1].last_lines == ["step 1 loss 0.8", "step 2 loss 0.7", "step 3 loss 0.6"]
    # ...and through each 4 s silence the wait says it is still watching, once a BEAT_S
    quiet = [
        round(after.elapsed_s - before.elapsed_s, 1)
        for before, after in pairwise(beats)
        if after.last_lines == before.last_lines
    ]
    assert len(quiet) >= 6, [(e.elapsed_s, e.last_lines) for e in events]
    assert all(BEAT_S <= gap <= BEAT_S + LATE_S for gap in quiet), quiet
