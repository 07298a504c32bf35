"""The ``job`` tool through the real ``kodo exec``: a scripted model submits to the real test
Slurm cluster, waits without spending turns, and gets a failed job back already diagnosed."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

from tests.e2e.harness import exec_args, kodo_env, run_kodo
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply
from tests.ui.tmux import TmuxShell

OOM_JOB = """#!/bin/bash
#SBATCH --output=train-%j.out
echo "[rank0]: epoch 1 step 10 loss 2.31"
echo "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a \
total capacity of 79.10 GiB of which 3.19 GiB is free." >&2
exit 1
"""


def user_config(home: Path, *, allow_sbatch: bool) -> None:
    text = '[clusters.lab]\nkind = "slurm"\npartition = "debug"\npoll_s = 0.5\n'
    if allow_sbatch:
        text += '[[approval.rules]]\npattern = ["sbatch", "**"]\ndecision = "allow"\n'
    (home / "config.toml").write_text(text)


def tool_output(request: dict) -> str:
    return next(m["content"] for m in reversed(request["messages"]) if m["role"] == "tool")


def wait(request: dict) -> Reply:
    """The model's next step after a submit: wait for the job the result named."""
    job_id = re.search(r"submitted job (\d+)", tool_output(request))[1]
    return Reply(tool_calls=[Call("job", {"action": "wait", "job_id": job_id})])


def test_submit_wait_and_a_diagnosed_failure(slurm, kodo_home: Path, tmp_path: Path) -> None:
    user_config(kodo_home, allow_sbatch=True)
    (tmp_path / "train.sh").write_text(OOM_JOB)
    seen: list[str] = []

    def finish(request: dict) -> Reply:
        seen.append(tool_output(request))
        return Reply(text="The job ran out of GPU memory; I will lower the batch size.")

    script = [Reply(tool_calls=[Call("job", {"action": "submit", "target": "train.sh"})])]
    with ScriptedOpenAIServer([*script, wait, finish]) as srv:
        run = run_kodo(
            exec_args(srv.base_url, "train it on the cluster"),
            cwd=tmp_path,
            env=kodo_env(SLURM_CONF=slurm["SLURM_CONF"]),
            timeout=180,
        )
    assert run.returncode == 0, run.stderr
    assert len(srv.requests) == 3  # the wait cost no model turn
    offered = [t["function"]["name"] for t in srv.requests[0]["tools"]]
    assert "job" in offered
    states = [(e["state"], e["heartbeat"]) for e in run.of_type("job_status")]
    assert states[0] == ("submitted", False) and states[-1] == ("failed", False)
    wait_output = seen[0]
    assert "failed exit 1 reason: NonZeroExitCode" in wait_output
    assert "diagnosis: gpu_oom" in wait_output
    assert "evidence: torch.OutOfMemoryError: CUDA out of memory" in wait_output
    assert "fix:" in wait_output


def test_plain_output_shows_the_diagnosis_of_a_failed_wait(
    slurm, kodo_home: Path, tmp_path: Path
) -> None:
    """``kodo exec`` into a pipe: under the failed wait's line, the verdict kodo handed the
    model (class, culprit, first fix), not its whole text."""
    user_config(kodo_home, allow_sbatch=True)
    (tmp_path / "train.sh").write_text(OOM_JOB.replace('echo "torch.', 'echo "[rank0]: torch.'))

    script = [
        Reply(tool_calls=[Call("job", {"action": "submit", "target": "train.sh"})]),
        wait,
        Reply(text="It ran out of GPU memory."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        plain = [a for a in exec_args(srv.base_url, "train it") if a != "--json"]
        run = run_kodo(plain, cwd=tmp_path, env=kodo_env(SLURM_CONF=slurm["SLURM_CONF"]))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    failed = next(i for i, line in enumerate(lines) if line.startswith("  ✗ job "))
    assert "failed exit 1 reason: NonZeroExitCode" in lines[failed]
    assert lines[failed + 1].startswith("    diagnosis: gpu_oom (")
    assert lines[failed + 2] == "    culprit: rank 0"
    assert lines[failed + 3].startswith("    fix: Reduce the per-GPU batch size")
    assert "evidence:" not in run.stdout and run.stdout.count("fix: ") == 1


def test_submission_needs_the_person(slurm, kodo_home: Path, tmp_path: Path) -> None:
    user_config(kodo_home, allow_sbatch=False)
    (tmp_path / "train.sh").write_text("#!/bin/bash\ntrue\n")
    script = [
        Reply(tool_calls=[Call("job", {"action": "submit", "target": "train.sh"})]),
        Reply(text="I could not submit."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(
            exec_args(srv.base_url, "train it"),
            cwd=tmp_path,
            env=kodo_env(SLURM_CONF=slurm["SLURM_CONF"]),
        )
    (result,) = run.tool_results
    assert not result["ok"]
    assert "needs the person's approval" in result["output"]
    assert 'pattern = ["sbatch", "**"]' in result["output"]
    assert run.of_type("job_status") == []


def test_a_project_cannot_add_a_cluster(kodo_home: Path, tmp_path: Path) -> None:
    (tmp_path / ".kodo").mkdir()
    (tmp_path / ".kodo" / "config.toml").write_text('[clusters.evil]\nkind = "slurm"\n')
    from kodo.config import load_config, read_project_config
    from kodo.trust import TrustStore

    TrustStore(kodo_home).trust(read_project_config(tmp_path))
    assert load_config(tmp_path).clusters == {}


def test_kodo_clusters_and_kodo_jobs(slurm, kodo_home: Path, tmp_path: Path) -> None:
    user_config(kodo_home, allow_sbatch=True)
    (kodo_home / "config.toml").write_text(
        (kodo_home / "config.toml").read_text()
        + '[clusters.gone]\nkind = "ray"\naddress = "http://127.0.0.1:9"\n'
    )
    env = kodo_env(SLURM_CONF=slurm["SLURM_CONF"], RAY_AUTH_MODE="disabled")
    clusters = run_kodo(["clusters"], cwd=tmp_path, env=env)
    assert clusters.returncode == 1  # one is unreachable
    assert "lab\tslurm\treachable\tslurm: debug*" in clusters.stdout
    assert "gone\tray\tunreachable" in clusters.stdout

    (tmp_path / "ok.sh").write_text("#!/bin/bash\necho fine\n")
    script = [
        Reply(tool_calls=[Call("job", {"action": "submit", "target": "ok.sh", "cluster": "lab"})]),
        Reply(text="submitted"),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "submit it"), cwd=tmp_path, env=env)
    job_id = run.of_type("job_status")[0]["job_id"]
    jobs = run_kodo(["jobs"], cwd=tmp_path, env=env)
    line = next(ln for ln in jobs.stdout.splitlines() if f"\t{job_id}\t" in ln)
    assert "lab" in line and "last seen submitted" in line
    assert f"job {job_id}: " in line  # asked of the cluster now


def test_the_shell_shows_the_wait_and_esc_stops_waiting_not_the_job(
    slurm, kodo_home: Path, tmp_path: Path
) -> None:
    user_config(kodo_home, allow_sbatch=True)
    body = 'for i in $(seq 1 600); do echo "epoch $i loss 0.$i"; sleep 0.5; done'
    (tmp_path / "long.sh").write_text(f"#!/bin/bash\n#SBATCH --output=long-%j.out\n{body}\n")

    script = [
        Reply(tool_calls=[Call("job", {"action": "submit", "target": "long.sh"})]),
        wait,
    ]
    env = kodo_env(SLURM_CONF=slurm["SLURM_CONF"])
    args = ["--provider", "openai-chat", "-m", "scripted"]
    with ScriptedOpenAIServer(script) as srv:
        term = TmuxShell([*args, "--base-url", srv.base_url], cwd=tmp_path, env=env)
        try:
            term.wait_prompt()
            start = term.mark()
            term.type("train on the cluster")
            screen = term.wait_for(r"waiting for job \d+ on lab \(running\)", after=start)
            job_id = re.search(r"waiting for job (\d+)", screen[start:])[1]
            term.wait_for(r"│ epoch \d+ loss", after=start)  # the job's last lines, live
            term.keys("Escape")  # ends the wait and the turn; the person can talk to the model
            term.wait_for(r"interrupted: the session goes on", after=start)
            term.wait_prompt(after=start)
        finally:
            term.close()
    state = subprocess.run(
        ["scontrol", "show", "job", "-o", job_id], env=env, capture_output=True, text=True
    ).stdout
    subprocess.run(["scancel", job_id], env=env)
    assert "JobState=RUNNING" in state


def test_done_when_is_measured_from_what_the_run_reported(
    slurm, kodo_home: Path, tmp_path: Path
) -> None:
    user_config(kodo_home, allow_sbatch=True)
    local = 'python3 -c \'import json; print(json.dumps({"epoch": 3, "val_acc": 0.93}))\''
    script = [
        Reply(tool_calls=[Call("shell", {"command": ["bash", "-c", local]})]),
        Reply(text="Trained; val_acc is 0.93."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(
            exec_args(srv.base_url, "train", "--done-when", "val_acc >= 0.9"), cwd=tmp_path
        )
    done = run.of_type("session_completed")[0]
    assert (done["done_when"], done["done_met"]) == ("val_acc >= 0.9", True)
    assert done["done_verdict"] == "done-when val_acc >= 0.9: met (val_acc = 0.93)"
    assert f"kodo: {done['done_verdict']}" in run.stderr

    (tmp_path / "train.sh").write_text(
        "#!/bin/bash\n#SBATCH --output=train-%j.out\n"
        'echo \'{"epoch": 1, "val_acc": 0.95}\'\necho \'{"epoch": 2, "val_acc": 0.62}\'\n'
    )

    script = [
        Reply(tool_calls=[Call("job", {"action": "submit", "target": "train.sh"})]),
        wait,
        Reply(text="The model is trained and accurate."),  # a claim the metric contradicts
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(
            exec_args(srv.base_url, "train", "--done-when", "val_acc >= 0.9"),
            cwd=tmp_path,
            env=kodo_env(SLURM_CONF=slurm["SLURM_CONF"]),
        )
    done = run.of_type("session_completed")[0]
    assert done["done_met"] is False  # the last value reported counts, not the best
    assert done["done_verdict"] == "done-when val_acc >= 0.9: not met (val_acc = 0.62)"
    assert "not met (val_acc = 0.62)" in run.stderr
    bad = run_kodo(exec_args("http://127.0.0.1:9/v1", "x", "--done-when", "acc ~ 1"), cwd=tmp_path)
    assert bad.returncode == 2 and "expected METRIC OP NUMBER" in bad.stderr


def test_resume_reattaches_to_the_sessions_jobs(slurm, kodo_home: Path, tmp_path: Path) -> None:
    user_config(kodo_home, allow_sbatch=True)
    (tmp_path / "train.sh").write_text(OOM_JOB)
    env = kodo_env(SLURM_CONF=slurm["SLURM_CONF"])
    script = [
        Reply(tool_calls=[Call("job", {"action": "submit", "target": "train.sh"})]),
        Reply(text="Submitted; I will check later."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        first = run_kodo(exec_args(srv.base_url, "train it"), cwd=tmp_path, env=env)
    job_id = first.of_type("job_status")[0]["job_id"]
    assert "waiting" not in first.stdout
    time.sleep(3)  # the job ends while no kodo runs
    with ScriptedOpenAIServer([Reply(text="It ran out of memory.")]) as srv:
        args = exec_args(srv.base_url, "resume", "--last", "what happened to the job?")
        again = run_kodo(args, cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    sent = json.dumps(srv.requests[0]["messages"])
    assert "Cluster jobs of this session, as they are now" in sent
    assert f"job {job_id}: failed exit 1" in sent and "diagnosis: gpu_oom" in sent
