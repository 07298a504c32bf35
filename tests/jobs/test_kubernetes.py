"""The Kubernetes backend. No cluster is reachable here, so the parsing is tested on recorded
``kubectl`` output (the JSON shapes of batch/v1 Jobs and Pods as kubectl prints them) and the
plumbing through a ``kubectl`` on PATH that replays those recordings and logs its arguments."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from kodo.jobs.backend import backend_for
from kodo.jobs.kubernetes import job_manifest, split_prefixed_logs, status_from_json
from kodo.jobs.metrics import Condition, judge
from kodo.jobs.model import ClusterError
from kodo.jobs.spec import Cluster

RECORDED = Path(__file__).parents[1] / "data" / "jobs" / "kubernetes"


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


def test_a_job_past_its_backoff_limit_names_the_pod_node_and_reason() -> None:
    s = status_from_json(
        "train-ddp", recorded("job_backoff_exceeded.json"), recorded("pods_oomkilled.json")
    )
    assert (s.state, s.raw_state) == ("failed", "BackoffLimitExceeded")
    assert "pod train-ddp-x7k2p on node gpu-node-3: OOMKilled (exit 137)" in (s.reason or "")
    assert s.elapsed_s == 453


def test_pending_pods_say_why() -> None:
    pulling = status_from_json("t", recorded("job_active.json"), recorded("pods_image_pull.json"))
    assert pulling.state == "pending" and "ImagePullBackOff" in (pulling.reason or "")
    stuck = status_from_json("t", recorded("job_active.json"), recorded("pods_unschedulable.json"))
    assert stuck.state == "pending"
    assert "Unschedulable: 0/4 nodes are available: 4 Insufficient nvidia.com/gpu" in (
        stuck.reason or ""
    )


def test_complete_job() -> None:
    s = status_from_json("t", recorded("job_complete.json"), {"items": []})
    assert (s.state, s.elapsed_s) == ("succeeded", 923)


def test_prefixed_logs_split_per_pod_and_feed_done_when() -> None:
    logs = split_prefixed_logs((RECORDED / "logs_prefixed.txt").read_text(), 10)
    assert set(logs) == {"train-ddp-x7k2p/main", "train-ddp-x7k2p/sidecar"}
    assert logs["train-ddp-x7k2p/main"].endswith("Tried to allocate 2.00 GiB")
    verdict = judge(Condition.parse("val_acc >= 0.9"), logs.values())
    assert not verdict.met and verdict.value == 0.71


def test_manifest_runs_once_and_asks_for_gpus() -> None:
    m = job_manifest("train", "pytorch/pytorch:2.5", ["python", "train.py"], gpus=2, namespace="ml")
    spec = m["spec"]
    assert (m["kind"], m["metadata"]["namespace"], spec["backoffLimit"]) == ("Job", "ml", 0)
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["resources"] == {"limits": {"nvidia.com/gpu": 2}}


REPLAY = """#!{python}
import json, sys
from pathlib import Path
data = Path({data!r})
args = sys.argv[1:]
with open({log!r}, "a") as f:
    f.write(json.dumps(args) + "\\n")
words = [a for a in args if not a.startswith("--context") and not a.startswith("--namespace")]
if words[:1] == ["version"]:
    print(json.dumps({{"clientVersion": {{"gitVersion": "v1.31.0"}}}}))
    print("The connection to the server localhost:8080 was refused", file=sys.stderr)
    sys.exit(1)
if words[:1] == ["create"]:
    print("job.batch/train-ddp")
elif words[:3] == ["get", "job", "train-ddp"]:
    print((data / "job_backoff_exceeded.json").read_text())
elif words[:2] == ["get", "pods"]:
    print((data / "pods_oomkilled.json").read_text())
elif words[:1] == ["logs"]:
    print((data / "logs_prefixed.txt").read_text(), end="")
elif words[:1] == ["delete"]:
    print('job.batch "train-ddp" deleted')
"""


@pytest.fixture
def replay_kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "kubectl-calls.jsonl"
    script = bindir / "kubectl"
    script.write_text(REPLAY.format(python=sys.executable, data=str(RECORDED), log=str(log)))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return log


def test_backend_drives_kubectl(replay_kubectl: Path, tmp_path: Path) -> None:
    cluster = Cluster(kind="kubernetes", context="prod", namespace="ml")
    b = backend_for(cluster, dict(os.environ))
    with pytest.raises(ClusterError, match="no Kubernetes cluster configured or reachable"):
        b.check()
    (tmp_path / "job.yaml").write_text("kind: Job\n")
    assert b.submit("job.yaml", tmp_path) == "train-ddp"
    assert b.status("train-ddp").state == "failed"
    assert "train-ddp-x7k2p/main" in b.logs("train-ddp", 50)
    b.cancel("train-ddp")
    calls = [json.loads(line) for line in replay_kubectl.read_text().splitlines()]
    assert all(c[:2] == ["--context=prod", "--namespace=ml"] for c in calls)
    assert ["create", "-f", str((tmp_path / "job.yaml").resolve()), "-o", "name"] in [
        c[2:] for c in calls
    ]
    assert calls[-1][2:] == ["delete", "job", "train-ddp", "--cascade=foreground", "--wait=false"]


def test_missing_kubectl_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    b = backend_for(Cluster(kind="kubernetes"), dict(os.environ))
    with pytest.raises(ClusterError, match="kubectl not found on PATH"):
        b.check()
