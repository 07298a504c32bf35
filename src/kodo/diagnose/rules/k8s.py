"""Kubernetes: ``kubectl describe pod`` fields and ``kubectl get events`` rows."""

from __future__ import annotations

from kodo.diagnose.rules import Rule

RULES = [
    Rule("k8s_pod", "Name:", r"^Name:\s+(?P<pod>\S+)"),
    Rule("k8s_node", "Node:", r"^Node:\s+(?P<host>[\w.-]+)"),
    Rule("k8s_oom", "OOMKilled"),
    Rule("k8s_oom", "OOMKilling"),
    Rule("k8s_exit", "Exit Code:", r"Exit Code:\s+(?P<exitcode>\d+)"),
    Rule("k8s_crashloop", "CrashLoopBackOff"),
    Rule("k8s_crashloop", "Back-off restarting failed container"),
    Rule("k8s_image", "ImagePullBackOff"),
    Rule("k8s_image", "ErrImagePull"),
    Rule("k8s_image", "Failed to pull image", r'Failed to pull image "(?P<image>[^"]+)"'),
    Rule(
        "k8s_sched",
        "FailedScheduling",
        r"FailedScheduling\s+(?:\S+\s+)*?(?P<msg>\d+/\d+ nodes.*)?$",
    ),
    Rule("k8s_sched", "nodes are available", r"(?P<msg>\d+/\d+ nodes are available.*)"),
    Rule("k8s_evicted", "Evicted"),
    Rule("k8s_evicted", "The node was low on resource", r"low on resource: (?P<resource>[\w.-]+)"),
]
