"""Kubernetes Jobs through ``kubectl``: create from a manifest, read status and pod state as
JSON, logs per pod, delete to cancel."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from kodo.jobs.backend import tail_lines
from kodo.jobs.client import run_client
from kodo.jobs.model import ClusterError, JobStatus, State
from kodo.jobs.spec import Cluster

_PREFIX = re.compile(r"^\[pod/([^/\]]+)/([^\]]+)\] ?(.*)$")
# pod conditions that mean the job will not get anywhere by waiting
_STUCK = ("ImagePullBackOff", "ErrImagePull", "CrashLoopBackOff", "CreateContainerConfigError")


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def status_from_json(name: str, job: dict[str, Any], pods: dict[str, Any] | None) -> JobStatus:
    """From ``kubectl get job NAME -o json`` and ``kubectl get pods -l job-name=NAME -o json``."""
    st = job.get("status", {})
    conditions = {c.get("type"): c for c in st.get("conditions", []) if c.get("status") == "True"}
    start, end = _time(st.get("startTime")), _time(st.get("completionTime"))
    failed = conditions.get("Failed")
    pod_reason = _pod_reason(pods or {})
    state: State
    if "Complete" in conditions or "SuccessCriteriaMet" in conditions:
        state, raw, reason = "succeeded", "Complete", None
    elif failed:
        raw = failed.get("reason", "Failed")
        state = "timeout" if raw == "DeadlineExceeded" else "failed"
        reason = "; ".join(x for x in (failed.get("message"), pod_reason) if x) or None
    elif st.get("active") and st.get("ready"):
        state, raw, reason = "running", "Active", pod_reason
    else:
        state, raw, reason = "pending", "Pending", pod_reason
    if end is None and failed is not None:
        end = _time(failed.get("lastTransitionTime"))
    elapsed = (end - start).total_seconds() if start and end else None
    return JobStatus(name, state, raw_state=raw, reason=reason, elapsed_s=elapsed)


def _pod_reason(pods: dict[str, Any]) -> str | None:
    """The first telling pod state: a waiting or terminated container's reason, or why the
    scheduler could not place the pod, naming the pod and its node."""
    for pod in pods.get("items", []):
        name = pod.get("metadata", {}).get("name", "?")
        node = pod.get("spec", {}).get("nodeName")
        where = f"pod {name}" + (f" on node {node}" if node else "")
        for cs in pod.get("status", {}).get("containerStatuses", []):
            state = cs.get("state", {})
            waiting, done = state.get("waiting") or {}, state.get("terminated") or {}
            last = (cs.get("lastState") or {}).get("terminated") or {}
            if waiting.get("reason") in _STUCK:
                extra = f" (last exit {last.get('exitCode')}: {last.get('reason')})" if last else ""
                return f"{where}: {waiting['reason']}{extra}"
            if done.get("reason") and done.get("exitCode", 0) != 0:
                return f"{where}: {done['reason']} (exit {done.get('exitCode')})"
        for cond in pod.get("status", {}).get("conditions", []):
            if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                return f"{where}: {cond.get('reason')}: {cond.get('message', '')}".rstrip(": ")
    return None


def split_prefixed_logs(text: str, tail: int) -> dict[str, str]:
    """``kubectl logs --prefix`` interleaves pods; one text per pod/container."""
    by_source: dict[str, list[str]] = {}
    for line in text.splitlines():
        m = _PREFIX.match(line)
        key, body = (f"{m.group(1)}/{m.group(2)}", m.group(3)) if m else ("?", line)
        by_source.setdefault(key, []).append(body)
    return {k: tail_lines("\n".join(v), tail) for k, v in by_source.items()}


def job_manifest(
    name: str, image: str, command: list[str], *, gpus: int = 0, namespace: str | None = None
) -> dict[str, Any]:
    """A batch/v1 Job that runs ``command`` once (no retries: a failure is for kodo to read)."""
    container: dict[str, Any] = {"name": "main", "image": image, "command": command}
    if gpus:
        container["resources"] = {"limits": {"nvidia.com/gpu": gpus}}
    meta: dict[str, Any] = {"name": name, "labels": {"app.kubernetes.io/managed-by": "kodo"}}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {
            "backoffLimit": 0,
            "template": {"spec": {"restartPolicy": "Never", "containers": [container]}},
        },
    }


class KubernetesBackend:
    def __init__(self, cluster: Cluster, env: dict[str, str]) -> None:
        self.scope = [f"--context={cluster.context}"] if cluster.context else []
        if cluster.namespace:
            self.scope.append(f"--namespace={cluster.namespace}")
        self.env = env

    def _kubectl(self, *args: str) -> str:
        return run_client(["kubectl", *self.scope, *args], env=self.env)

    def check(self) -> str:
        try:
            version = json.loads(self._kubectl("version", "-o", "json"))
        except (ClusterError, ValueError) as exc:
            raise ClusterError(f"no Kubernetes cluster configured or reachable: {exc}") from exc
        server = version.get("serverVersion", {}).get("gitVersion")
        if not server:
            raise ClusterError("no Kubernetes cluster configured or reachable (no server version)")
        return f"kubernetes: server {server}"

    def submit(self, target: str, workdir: Path) -> str:
        manifest = (workdir / target).resolve()
        if not manifest.is_file():
            raise ClusterError(f"{target}: no such manifest in {workdir}")
        created = self._kubectl("create", "-f", str(manifest), "-o", "name").split()
        jobs = [n.split("/", 1)[1] for n in created if n.startswith("job.batch/")]
        if not jobs:
            raise ClusterError(f"{target} created no Job ({', '.join(created) or 'nothing'})")
        return jobs[0]

    def status(self, job_id: str) -> JobStatus:
        job = json.loads(self._kubectl("get", "job", job_id, "-o", "json"))
        pods = json.loads(self._kubectl("get", "pods", "-l", f"job-name={job_id}", "-o", "json"))
        return status_from_json(job_id, job, pods)

    def logs(self, job_id: str, tail: int) -> dict[str, str]:
        text = self._kubectl(
            "logs", "-l", f"job-name={job_id}", "--all-containers", "--prefix", f"--tail={tail}"
        )
        return split_prefixed_logs(text, tail)

    def cancel(self, job_id: str) -> None:
        self._kubectl("delete", "job", job_id, "--cascade=foreground", "--wait=false")
