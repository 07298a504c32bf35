"""Showcase: ``kodo exec --done-when "val_acc >= 0.9" "Train the digits classifier on the lab
cluster ..."``, through the real test Slurm cluster.

The workspace holds a data-parallel trainer (2 ranks, one per Slurm task, gloo on CPU) and its
launch script, ported from another cluster: it still names that cluster's node as MASTER_ADDR.
The scripted model reads the script and submits it; the wait costs no turn and hands back the
failed job already diagnosed by ``kodo diagnose`` from the ranks' real logs (a rendezvous
failure: the store address does not resolve). The model points MASTER_ADDR at the job's first
node, as the diagnosis's fix says, resubmits, reads rank 0's metrics, and the run is judged by
the val_acc rank 0 reported. Slurm, srun, torch.distributed and the sandbox are real.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import exec_args, kodo_env, run_kodo
from tests.e2e.showcase.session import Session, contains, final_json, source, succeeded
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply

PROMPT = "Train the digits classifier on the lab cluster with train.sbatch (2 CPU ranks)"
DONE_WHEN = "val_acc >= 0.9"
EXEC_ARGS = ["--done-when", DONE_WHEN]
OLD_NODE = "gpu-node-017"
FIX = """\
*** Begin Patch
*** Update File: train.sbatch
@@
-export MASTER_ADDR=gpu-node-017
+# the rendezvous runs on this job's first node (gpu-node-017 was the old cluster's)
+export MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
*** End Patch
"""
CLUSTER = """\
[clusters.lab]
kind = "slurm"
partition = "debug"
poll_s = 1

[[approval.rules]]
pattern = ["sbatch", "**"]
decision = "allow"
"""


def prepare(workspace: Path) -> None:
    for name in ("train_ddp.py", "train.sbatch"):
        (workspace / name).write_text(source(f"pytorch_slurm/{name}"))


def configure(home: Path) -> None:
    """The person's own config: the cluster, and sbatch allowed (``kodo exec`` cannot ask)."""
    (home / "config.toml").write_text(CLUSTER)


def job_of(output: str) -> str:
    """The job a submit or wait result names."""
    found = re.search(r"(?:submitted job|^job) (\d+)", output)
    return found.group(1) if found else "unknown"


def wait(output: str) -> Reply:
    return Reply(tool_calls=[Call("job", {"action": "wait", "job_id": job_of(output)})])


DIAGNOSED = contains(
    "failed exit 1",
    "diagnosis: rendezvous_failure",
    f"host {OLD_NODE}",
    "fix: Check MASTER_ADDR/MASTER_PORT",
)


def rank0_metrics(logs: str) -> dict:
    """The last line of rank 0's log, as the logs action shows it (``== PATH`` per file)."""
    return final_json(logs.split("rank0.out", 1)[-1].split("\n\n== ", 1)[0])


def trained(output: str) -> str | None:
    try:
        m = rank0_metrics(output)
        return None if m["val_acc"] >= 0.9 and m["ranks"] == 2 else f"not trained: {m}"
    except (ValueError, KeyError, TypeError) as exc:
        return f"no metrics from rank 0 in the logs ({exc!r})"


def summary(output: str) -> Reply:
    m = rank0_metrics(output)
    return Reply(
        text=(
            f"Trained on `lab` with 2 ranks ({m['backend']}, one per Slurm task): "
            f"**val_acc {m['val_acc']:.2%}**, test accuracy {m['test_accuracy']:.2%}, "
            f"{m['seconds']} s of training.\n\n"
            f"The first job failed before training: both ranks timed out connecting to the "
            f"rendezvous store at `{OLD_NODE}`, a node of the cluster the script came from (its "
            f"name does not resolve here); kodo's diagnosis was a rendezvous failure, check "
            f"MASTER_ADDR. `train.sbatch` now takes MASTER_ADDR from the job's first node "
            f"(`scontrol show hostnames $SLURM_JOB_NODELIST`), so it works on any cluster."
        )
    )


def script(session: Session) -> list:
    return [
        Reply(
            text="Reading the launch script before submitting it.",
            tool_calls=[Call("read_file", {"path": "train.sbatch"})],
        ),
        session.after(
            contains("--ntasks=2", "srun", "train_ddp.py"),
            Reply(
                text="Two Slurm tasks, one rank each, launched by srun. Submitting to lab.",
                tool_calls=[Call("job", {"action": "submit", "target": "train.sbatch"})],
            ),
        ),
        session.after(contains("submitted job"), wait),
        session.after(
            DIAGNOSED,
            Reply(
                text=(
                    f"The job failed in the rendezvous, not in training: every rank timed out "
                    f"connecting to the store at {OLD_NODE}, which does not resolve here (the "
                    f"script was ported from another cluster). As the diagnosis says, "
                    f"MASTER_ADDR must be reachable from every rank: use this job's first node."
                ),
                tool_calls=[Call("apply_patch", {"patch": FIX})],
            ),
        ),
        session.after(
            succeeded,
            Reply(tool_calls=[Call("job", {"action": "submit", "target": "train.sbatch"})]),
        ),
        session.after(contains("submitted job"), wait),
        session.after(
            contains("succeeded", "exit 0"),
            lambda output: Reply(
                tool_calls=[Call("job", {"action": "logs", "job_id": job_of(output)})]
            ),
        ),
        session.after(trained, summary),
    ]


def scheduler_state(job_id: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        ["scontrol", "show", "job", "-o", job_id], env=env, capture_output=True, text=True
    ).stdout
    found = re.search(r"JobState=(\w+)", out)
    return found.group(1) if found else out


def test_a_slurm_run_fails_on_the_rendezvous_is_fixed_from_the_diagnosis_and_meets_done_when(
    slurm, kodo_home: Path, tmp_path: Path
) -> None:
    configure(kodo_home)
    prepare(tmp_path)
    # the job runs `python` from the submitter's PATH: the interpreter running the tests
    path = f"{Path(sys.executable).parent}:{slurm['PATH']}"
    env = kodo_env(SLURM_CONF=slurm["SLURM_CONF"], PATH=path)
    session = Session()
    try:
        with ScriptedOpenAIServer(script(session)) as srv:
            run = run_kodo(
                exec_args(srv.base_url, *EXEC_ARGS, PROMPT), cwd=tmp_path, env=env, timeout=420
            )
        jobs = list(dict.fromkeys(e["job_id"] for e in run.of_type("job_status")))
        assert session.problems == [], session.problems
        assert run.returncode == 0, run.stderr
        assert len(srv.requests) == 8  # one per step: the two waits cost no turn

        first, second = jobs
        assert (scheduler_state(first, env), scheduler_state(second, env)) == (
            "FAILED",
            "COMPLETED",
        )
        waits = [r for r in run.tool_results if r["title"].startswith("job wait ")]
        assert [(w["output"].split()[:3], w["ok"]) for w in waits] == [
            (["job", f"{first}:", "failed"], False),
            (["job", f"{second}:", "succeeded"], True),
        ]
        # what the model saw is kodo diagnose's verdict on the ranks' real logs
        seen = session.seen[2]
        assert seen == waits[0]["output"]
        logs = [str(tmp_path / f"train-{first}{part}.out") for part in ("", "-rank0", "-rank1")]
        for rank in logs[1:]:
            assert "DistNetworkError: The client socket has timed out" in Path(rank).read_text()
        verdict = subprocess.run(
            [sys.executable, "-m", "kodo", "diagnose", "--json", *logs],
            capture_output=True,
            text=True,
            env=env,
        )
        top = json.loads(verdict.stdout)["findings"][0]
        assert top["class"] == "rendezvous_failure" and OLD_NODE in top["hosts"]
        assert f"diagnosis: {top['class']}" in seen and f"fix: {top['fixes'][0]}" in seen
        assert "scontrol show hostnames" in (tmp_path / "train.sbatch").read_text()

        done = run.of_type("session_completed")[0]
        assert (done["status"], done["done_when"], done["done_met"]) == (
            "completed",
            DONE_WHEN,
            True,
        )
        reported = final_json((tmp_path / f"train-{second}-rank0.out").read_text())
        assert f"met (val_acc = {reported['val_acc']:g})" in run.stderr
    finally:
        # a test that stopped early leaves no job behind
        subprocess.run(["scancel", "--name=digits-ddp"], env=env, capture_output=True)
