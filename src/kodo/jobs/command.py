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
    from kodo.events import JobStatus as JobStatusEvent


def run_clusters(args: argparse.Namespace) -> int:
    from kodo.config import ConfigError, load_config

    try:
        config = load_config(Path.cwd())
    except ConfigError as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return 2
    if not config.clusters:
        print(
            'no clusters configured: add [clusters.NAME] with kind = "slurm" | "ray" | '
            '"kubernetes" to $KODO_HOME/config.toml'
        )
        return 0
    env = client_env([config.api_key_env] if config.api_key_env else [])
    failed = 0
    for name, cluster in sorted(config.clusters.items()):
        try:
            print(f"{name}\t{cluster.kind}\treachable\t{backend_for(cluster, env).check()}")
        except ClusterError as exc:
            failed += 1
            print(f"{name}\t{cluster.kind}\tunreachable\t{exc}")
    return 1 if failed else 0


def recorded_jobs(limit: int) -> list[tuple[str, JobStatusEvent]]:
    """(session id, the last event of each job) for the jobs of the ``limit`` newest sessions."""
    from kodo.events import JobStatus as JobStatusEvent
    from kodo.session.store import all_session_files, read_events, session_id_of

    found: list[tuple[str, JobStatusEvent]] = []
    for path in all_session_files()[-limit:]:
        last: dict[tuple[str, str], JobStatusEvent] = {}
        for event in read_events(path):
            if isinstance(event, JobStatusEvent):
                last[(event.cluster, event.job_id)] = event
        found += [(session_id_of(path), e) for e in last.values()]
    return found


def run_jobs(args: argparse.Namespace) -> int:
    from kodo.config import ConfigError, load_config

    try:
        config = load_config(Path.cwd())
    except ConfigError as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return 2
    jobs = recorded_jobs(args.limit)
    if not jobs:
        print("no cluster jobs in recent sessions")
        return 0
    env = client_env([config.api_key_env] if config.api_key_env else [])
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
