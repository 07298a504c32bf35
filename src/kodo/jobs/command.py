"""``kodo clusters``: the clusters in the person's config, each checked through its client;
``kodo jobs``: the jobs recent sessions recorded, with their state asked of the cluster now."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kodo.jobs.backend import backend_for
from kodo.jobs.client import client_env
from kodo.jobs.model import ClusterError

if TYPE_CHECKING:
    from kodo.config import Config
    from kodo.events import JobStatus as JobStatusEvent


def _config() -> Config | None:
    """The person's config as seen from here; None (the error printed) when it cannot load."""
    from kodo.config import ConfigError, load_config

    try:
        return load_config(Path.cwd())
    except ConfigError as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return None


def run_clusters(args: argparse.Namespace) -> int:
    config = _config()
    if config is None:
        return 2
    if not config.clusters:
        print(
            'no clusters configured: add [clusters.NAME] with kind = "slurm" | "ray" | '
            '"kubernetes" to $KODO_HOME/config.toml'
        )
        return 0
    env = client_env(config.api_key_env)
    failed = 0
    for name, cluster in sorted(config.clusters.items()):
        try:
            print(f"{name}\t{cluster.kind}\treachable\t{backend_for(cluster, env).check()}")
        except ClusterError as exc:
            failed += 1
            print(f"{name}\t{cluster.kind}\tunreachable\t{exc}")
    return 1 if failed else 0


def jobs_in(path: Path) -> list[JobStatusEvent]:
    """The last recorded event of each job of one session, in submission order."""
    from kodo.events import JobStatus as JobStatusEvent
    from kodo.session.store import read_events

    last: dict[tuple[str, str], JobStatusEvent] = {}
    for event in read_events(path):
        if isinstance(event, JobStatusEvent):
            last[(event.cluster, event.job_id)] = event
    return list(last.values())


def recorded_jobs(limit: int) -> list[tuple[str, JobStatusEvent]]:
    """(session id, the last event of each job) for the jobs of the ``limit`` newest sessions."""
    from kodo.session.store import all_rollouts, session_id_of

    return [
        (session_id_of(path), event) for path in all_rollouts()[-limit:] for event in jobs_in(path)
    ]


def meanwhile(path: Path, clusters: dict, env: dict[str, str]) -> str | None:
    """What a resumed session's jobs did while it was closed, failures diagnosed; None when it
    had no jobs. Said to the model with the next prompt, so it picks up where the jobs are."""
    from kodo.jobs.triage import triage_job

    lines = []
    for event in jobs_in(path):
        cluster = clusters.get(event.cluster)
        if cluster is None:
            lines.append(
                f"- job {event.job_id} on {event.cluster}: that cluster is no longer configured"
            )
            continue
        try:
            backend = backend_for(cluster, env)
            status = backend.status(event.job_id)
            lines.append(f"- {status.line()} (on {event.cluster}; last seen {event.state})")
            if status.failed:
                report = triage_job(backend, status)
                lines += [f"  {line}" for line in report.splitlines()]
        except ClusterError as exc:
            lines.append(f"- job {event.job_id} on {event.cluster}: cannot ask ({exc})")
    if not lines:
        return None
    return "Cluster jobs of this session, as they are now:\n" + "\n".join(lines)


def run_jobs(args: argparse.Namespace) -> int:
    config = _config()
    if config is None:
        return 2
    jobs = recorded_jobs(args.limit)
    if not jobs:
        print("no cluster jobs in recent sessions")
        return 0
    env = client_env(config.api_key_env)
    for session, event in jobs:
        cluster = config.clusters.get(event.cluster)
        now = "cluster not configured"
        if cluster is not None:
            try:
                now = backend_for(cluster, env).status(event.job_id).line()
            except ClusterError as exc:
                now = f"cannot ask: {exc}"
        print(f"{session[:8]}\t{event.cluster}\t{event.job_id}\tlast seen {event.state}\t{now}")
    return 0
