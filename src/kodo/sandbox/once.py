"""``kodo sandbox -- CMD`` for one command: bwrap takes this process's place and runs the command
itself, with the same namespaces, mounts, masks and scrubbed environment as a session's sandbox.

A session keeps one sandbox with a supervisor in it, so each of its commands costs a fork; one
command gains nothing from that and would pay the supervisor's start. What only the supervisor
can do keeps the session's way: the registry proxy (``network = "registries"``), the pids
cgroup (it must be removed afterwards) and resource limits (``RLIMIT_CPU`` counts the CPU this
process already spent, so set here it would be short).
"""

from __future__ import annotations

from pathlib import Path

from kodo.config import Config
from kodo.sandbox.env import scrubbed_env
from kodo.sandbox.limits import rlimits
from kodo.sandbox.mounts import find_bwrap, sandbox_argv
from kodo.sandbox.plans import Plan, environment


def can_run_in_place(config: Config) -> bool:
    return (
        config.sandbox_mode != "danger-full-access"
        and config.network_mode != "registries"
        and not rlimits(config.limits)
    )


def in_place_plan(config: Config, workspace: Path) -> Plan:
    """What to run in this process's place. Raises ``SandboxUnavailable`` without bwrap."""
    bwrap = find_bwrap()
    env = scrubbed_env(config.env_allow, base=environment(), sandboxed=True)
    return bwrap, sandbox_argv(bwrap, config, workspace), env
