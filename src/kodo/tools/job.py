"""``job``: hand work to a cluster (Slurm, Ray, Kubernetes), watch it and read why it failed.

Waiting happens here, not in the model: a ``wait`` may last hours and costs no tokens; each
change of state is an event the person sees. Submitting and cancelling use the person's
allocation from outside the sandbox, so they are declared for the registry's approval step
(``approval``); a failed job's logs are diagnosed before the model sees them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from kodo.records import spec
from kodo.sandbox.approval import JobAsk
from kodo.tools.base import Approval, ToolContext, ToolOutput

HEARTBEAT_S = 60.0
CARD_LINES = 5


@dataclass(kw_only=True)
class JobArgs:
    action: Literal["submit", "status", "logs", "wait", "cancel", "list"]
    cluster: str | None = spec(
        None, description="A cluster from the person's config; not needed when there is one."
    )
    target: str | None = spec(
        None,
        description="submit: the sbatch script (slurm), the entrypoint command run in the "
        "working directory (ray), or the Job manifest file (kubernetes).",
    )
    job_id: str | None = spec(None, description="The job (not needed for submit and list).")
    tail: int = spec(40, ge=1, le=1000, description="logs: lines per log file, rank or pod.")
    until: Literal["change", "finish"] = spec(
        "finish", description="wait: until the job finishes, or until its state changes."
    )
    pattern: str | None = spec(
        None, description="wait: also stop when this regular expression shows in the logs."
    )
    timeout_s: int = spec(3600, ge=1, le=7 * 86400, description="wait: give up after this.")


class JobTool:
    name: ClassVar[str] = "job"
    description: ClassVar[str] = (
        "Run long work on the person's cluster and wait for it without spending turns: submit "
        "an sbatch script / Ray entrypoint / Kubernetes manifest, then wait (until it finishes, "
        "its state changes or a log pattern appears), status, logs, cancel, list. A failed job "
        "comes back with a diagnosis of its logs (culprit, evidence, fixes)."
    )
    Args: ClassVar[type] = JobArgs

    def __init__(self, heartbeat_s: float = HEARTBEAT_S) -> None:
        """``heartbeat_s``: how long a wait on a running job with no new output stays silent
        before it says it is still watching."""
        self.heartbeat_s = heartbeat_s
        self.submitted: dict[str, tuple[str, Path]] = {}  # job id -> (cluster, working dir)

    def describe(self, args: JobArgs) -> str:
        what = args.target if args.action == "submit" else args.job_id
        on = f"on {args.cluster}" if args.cluster else None
        return " ".join(word for word in ("job", args.action, what, on) if word)

    def approval(self, args: JobArgs, ctx: ToolContext) -> Approval | None:
        """Submitting and cancelling, in the cluster client's words; nothing else, nor a call
        that names no cluster, target or job (``run`` says what is missing)."""
        name = self._cluster(args, ctx)
        target = {"submit": args.target, "cancel": args.job_id}.get(args.action)
        if name is None or not target:
            return None
        argv = [*_client_word(ctx.config.clusters[name].kind, args.action), target]
        what = "submission of a job" if args.action == "submit" else "cancellation of a job"
        return Approval(JobAsk(name, argv, what))

    def _cluster(self, args: JobArgs, ctx: ToolContext) -> str | None:
        """The one named, the one the job was submitted to, or the only one configured."""
        clusters = ctx.config.clusters
        name = args.cluster or (self.submitted.get(args.job_id or "", ("", None))[0] or None)
        if name is None and len(clusters) == 1:
            name = next(iter(clusters))
        return name if name in clusters else None

    def run(self, args: JobArgs, ctx: ToolContext) -> ToolOutput:
        from kodo.jobs.model import ClusterError

        clusters = ctx.config.clusters
        if not clusters:
            return ToolOutput(
                "error: no clusters are configured. The person adds [clusters.NAME] with "
                'kind = "slurm" | "ray" | "kubernetes" to their own kodo config.',
                ok=False,
            )
        if args.action == "list":
            return self._list(ctx)
        name = self._cluster(args, ctx)
        if name is None:
            known = ", ".join(sorted(clusters))
            return ToolOutput(f"error: say which cluster: one of {known}.", ok=False)
        try:
            return self._act(args, ctx, name)
        except ClusterError as exc:
            return ToolOutput(f"error: {exc}", ok=False)

    def _act(self, args: JobArgs, ctx: ToolContext, name: str) -> ToolOutput:
        from kodo.jobs.backend import backend_for
        from kodo.jobs.client import client_env

        cluster = ctx.config.clusters[name]
        backend = backend_for(cluster, client_env(ctx.config.api_key_env))
        if args.action == "submit":
            return self._submit(args, ctx, name, backend)
        if not args.job_id:
            return ToolOutput(f"error: action {args.action} needs a job_id.", ok=False)
        job_id = args.job_id
        if args.action == "status":
            status = backend.status(job_id)
            return ToolOutput(status.line())
        if args.action == "logs":
            return ToolOutput(_show_logs(backend.logs(job_id, args.tail)) or "(no logs yet)")
        if args.action == "cancel":
            backend.cancel(job_id)
            return ToolOutput(f"job {job_id}: cancel requested")
        return self._wait(args, ctx, name, backend)

    def _submit(self, args: JobArgs, ctx: ToolContext, name: str, backend) -> ToolOutput:
        from kodo.events import JobStatus as JobEvent

        if not args.target:
            return ToolOutput("error: submit needs a target.", ok=False)
        job_id = backend.submit(args.target, ctx.cwd)
        self.submitted[job_id] = (name, ctx.cwd)
        ctx.emit(JobEvent(cluster=name, job_id=job_id, state="submitted", workdir=str(ctx.cwd)))
        return ToolOutput(
            f"submitted job {job_id} to {name}. Use action wait to wait for it (no turns spent)."
        )

    def _wait(self, args: JobArgs, ctx: ToolContext, name: str, backend) -> ToolOutput:
        from kodo.events import JobDetail
        from kodo.events import JobStatus as JobEvent
        from kodo.jobs.triage import triage_job, verdict_lines
        from kodo.jobs.wait import wait_for

        job_id = args.job_id or ""
        started = time.monotonic()
        last_state: str | None = None
        last_tail: list[str] = []
        last_beat = started

        def seen(status) -> None:
            """A state change is an event; so is new output of a running job (the card shows
            it) and, with neither, a heartbeat now and then."""
            nonlocal last_state, last_tail, last_beat
            now = time.monotonic()
            tail = _last_lines(backend, job_id) if status.state == "running" else []
            changed = status.state != last_state
            if not changed and tail == last_tail and now - last_beat < self.heartbeat_s:
                return
            last_state, last_tail, last_beat = status.state, tail, now
            ctx.emit(
                JobEvent(
                    cluster=name,
                    job_id=job_id,
                    state=status.state,
                    detail=status.line(),
                    elapsed_s=round(now - started, 1),
                    last_lines=tail,
                    heartbeat=not changed,
                )
            )

        result = wait_for(
            backend,
            job_id,
            timeout_s=args.timeout_s,
            poll_s=ctx.config.clusters[name].poll_s,
            until=args.until,
            pattern=args.pattern,
            stop=ctx.cancel,
            on_status=seen,
        )
        text = result.line()
        status = result.status
        detail = JobDetail(cluster=name, job_id=job_id, state=status.state)
        if status.failed:
            diagnosis = triage_job(backend, status)
            text += "\n" + diagnosis
            detail.verdict = verdict_lines(diagnosis)
        return ToolOutput(text, ok=not status.failed, detail=detail)

    def _list(self, ctx: ToolContext) -> ToolOutput:
        if not self.submitted:
            return ToolOutput("no jobs submitted in this session.")
        lines = [f"{job_id} on {cluster}" for job_id, (cluster, _) in self.submitted.items()]
        return ToolOutput("\n".join(lines))


def _client_word(kind: str, action: str) -> list[str]:
    """What the person is asked about, in the cluster client's own words."""
    words = {
        ("slurm", "submit"): ["sbatch"],
        ("slurm", "cancel"): ["scancel"],
        ("ray", "submit"): ["ray", "job", "submit", "--"],
        ("ray", "cancel"): ["ray", "job", "stop"],
        ("kubernetes", "submit"): ["kubectl", "create", "-f"],
        ("kubernetes", "cancel"): ["kubectl", "delete", "job"],
    }
    return list(words[(kind, action)])


def _last_lines(backend, job_id: str) -> list[str]:
    lines: list[str] = []
    for text in backend.logs(job_id, CARD_LINES).values():
        lines += text.splitlines()
    return lines[-CARD_LINES:]


def _show_logs(logs: dict[str, str]) -> str:
    return "\n\n".join(f"== {source}\n{text}" for source, text in logs.items() if text.strip())
