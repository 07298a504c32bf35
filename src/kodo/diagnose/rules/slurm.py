"""Slurm: slurmstepd / srun messages and ``sacct`` table rows.

``slurm_infra`` rows are errors of Slurm's own machinery on a node (its spool, job container,
cgroup, prolog, task launch) before the user's program runs: a node problem, not a job bug.
"""

from __future__ import annotations

from kodo.diagnose.rules import Rule

_CANCEL = r"\*\*\* (?:JOB|STEP) (?P<job>[\d._a-z]+) ON (?P<host>\S+) CANCELLED AT (?P<at>\S+)"

_SACCT = (
    r"^\s*(?P<job>\d+(?:_\d+)?(?:\.\w+)?)\s+.{0,300}?\b(?P<state>OUT_OF_MEMORY|TIMEOUT|NODE_FAIL|"
    r"FAILED|PREEMPTED)\+?\s+(?P<exit>\d+:\d+)\s*$"
)

RULES = [
    Rule("slurm_time_limit", "DUE TO TIME LIMIT", _CANCEL),
    Rule("slurm_node_fail", "DUE TO NODE FAILURE", _CANCEL),
    Rule("slurm_preempted", "DUE TO PREEMPTION", _CANCEL),
    Rule("slurm_oom", "oom-kill", r"Detected (?P<n>\d+) oom-kill event"),
    Rule("slurm_oom", "oom_kill", r"Detected (?P<n>\d+) oom_kill event"),
    Rule(
        "slurm_oom",
        "Out Of Memory",
        r"srun: error: (?P<host>[\w.-]+): tasks? (?P<tasks>[\d,-]+): Out Of Memory",
    ),
    Rule(
        "slurm_task_exit",
        "srun: error: ",
        r"srun: error: (?P<host>[\w.-]+): tasks? (?P<tasks>[\d,-]+): "
        r"(?:Exited with exit code (?P<exitcode>\d+)|(?P<killed>Killed|Terminated|Aborted|"
        r"Segmentation fault))",
    ),
    Rule("slurm_infra", "slurm_script", r"slurmstepd: error: execve\(\): \S*slurm_script"),
    Rule("slurm_infra", "container_", r"slurmstepd: error: container_\w+"),
    Rule("slurm_infra", "task/cgroup", r"error: .{0,60}task/cgroup"),
    Rule("slurm_infra", "couldn't chdir", r"slurmstepd: error: couldn't chdir"),
    Rule("slurm_infra", "_forkexec_slurmstepd"),
    Rule("slurm_infra", "Kill task failed"),
    Rule("slurm_infra", "rolog", r"(?i)\bprolog.{0,40}(?:fail|error)"),
    Rule(
        "slurm_infra",
        "Task launch for",
        r"Task launch for \S+ failed on node (?P<host>[\w.-]+)",
    ),
    Rule("slurm_node_fail", "Node failure on", r"Node failure on (?P<host>[\w.-]+)"),
    *(
        Rule("sacct_row", state, _SACCT)
        for state in ("OUT_OF_MEMORY", "TIMEOUT", "NODE_FAIL", "FAILED", "PREEMPTED")
    ),
]
