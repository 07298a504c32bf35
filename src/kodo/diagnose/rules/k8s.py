"""Kubernetes: ``kubectl describe pod``/``get pods``/``get events`` and operator log lines.

Rules capture the pod (``pod``) and node (``host``) a line is about where the line names them,
so findings can say which pod on which node failed.
"""

from __future__ import annotations

from kodo.diagnose.rules import Rule

_POD_ROW = r"^(?:[\w-]+\s+)?(?P<pod>[a-z0-9][a-z0-9.-]*)\s+\d+/\d+\s+"
_POD_REF = r"(?:\bpod[= ]\"?(?:[\w-]+/)?(?P<pod>[a-z0-9][a-z0-9.-]*)|kubelet, (?P<host>[\w.-]+))"

RULES = [
    Rule("k8s_pod", "Name:", r"^Name:\s+(?P<pod>\S+)"),
    Rule("k8s_node", "Node:", r"^Node:\s+(?P<host>[\w.-]+)"),
    Rule("k8s_oom", "OOMKilled"),
    Rule("k8s_oom", "OOMKilling"),
    Rule("k8s_exit", "Exit Code:", r"Exit Code:\s+(?P<exitcode>\d+)"),
    Rule("k8s_crashloop", "CrashLoopBackOff", _POD_ROW + "CrashLoopBackOff"),
    Rule(
        "k8s_crashloop",
        "ack-off ",
        r"[Bb]ack-off (?:\d+\w )?restarting failed container(?:.{0,80}?" + _POD_REF + ")?",
    ),
    Rule("k8s_crashloop", "CrashLoopBackOff", r"(?:" + _POD_REF + r".{0,300})?CrashLoopBackOff"),
    Rule("k8s_pending", "Pending", r"^Status:\s+Pending"),
    Rule("k8s_sched", "PodScheduled", r"PodScheduled\s+False"),
    Rule("k8s_image", "ImagePullBackOff"),
    Rule("k8s_image", "ErrImagePull"),
    Rule("k8s_image", "Failed to pull image", r'Failed to pull image "(?P<image>[^"]+)"'),
    Rule(
        "k8s_sched",
        "FailedScheduling",
        r"FailedScheduling(?:.{0,300}?(?P<msg>\d+/\d+ nodes.{0,300}))?",
    ),
    Rule("k8s_sched", "nodes are available", r"(?P<msg>\d+/\d+ nodes are available.{0,300})"),
    Rule("k8s_evicted", "Evicted", _POD_ROW + "Evicted"),
    Rule("k8s_evicted", "Evicted", r"Evicted(?:.{0,80}?" + _POD_REF + ")?"),
    Rule("k8s_evicted", "The node was low on resource", r"low on resource: (?P<resource>[\w.-]+)"),
]
