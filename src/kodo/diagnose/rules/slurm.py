"""Slurm: slurmstepd / srun messages and ``sacct`` table rows."""

from __future__ import annotations

from kodo.diagnose.rules import Rule

_CANCEL = r"\*\*\* (?:JOB|STEP) (?P<job>[\d._a-z]+) ON (?P<host>\S+) CANCELLED AT (?P<at>\S+)"

_SACCT = (
    r"^\s*(?P<job>\d+(?:_\d+)?(?:\.\w+)?)\s+.*?\b(?P<state>OUT_OF_MEMORY|TIMEOUT|NODE_FAIL|"
    r"FAILED|PREEMPTED)\+?\s+(?P<exit>\d+:\d+)\s*$"
)

RULES = [
    Rule("slurm_time_limit", "DUE TO TIME LIMIT", _CANCEL),
    Rule("slurm_node_fail", "DUE TO NODE FAILURE", _CANCEL),
    Rule("slurm_preempted", "DUE TO PREEMPTION", _CANCEL),
    Rule("slurm_node_fail", "Node failure on", r"Node failure on (?P<host>\S+)"),
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
    *(
        Rule("sacct_row", state, _SACCT)
        for state in ("OUT_OF_MEMORY", "TIMEOUT", "NODE_FAIL", "FAILED", "PREEMPTED")
    ),
]
