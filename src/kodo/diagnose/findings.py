"""Turn signals plus the cross-rank analysis into ranked findings, one per failure class."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kodo.diagnose.fixes import FIXES
from kodo.diagnose.model import Evidence, Finding
from kodo.diagnose.ranks import RankAnalysis
from kodo.diagnose.scanner import Signal

# signal kind -> (class, base confidence); root causes outrank the timeouts they cause.
KIND_CLASS: dict[str, tuple[str, float]] = {
    "watchdog_timeout": ("collective_timeout", 0.7),
    "nccl_ops_failed": ("collective_timeout", 0.6),
    "heartbeat": ("collective_timeout", 0.65),
    "work_progress": ("collective_timeout", 0.6),
    "watchdog_frames": ("collective_timeout", 0.6),
    "store_timeout": ("collective_timeout", 0.62),
    "fingerprint_mismatch": ("rank_desync", 0.88),
    "desync_lagging": ("rank_desync", 0.85),
    "fr_missing": ("rank_desync", 0.85),
    "op_mismatch": ("rank_desync", 0.85),
    "gpu_oom": ("gpu_oom", 0.92),
    "cuda_error": ("cuda_error", 0.88),
    "gpu_hw": ("gpu_hardware", 0.92),
    "nvls_error": ("nvlink_fabric", 0.9),
    "arch_error": ("version_mismatch", 0.88),
    "acs_enabled": ("p2p_hang", 0.55),
    "iface_error": ("network_interface", 0.85),
    "gloo_iface": ("network_interface", 0.9),
    "gloo_loopback": ("network_interface", 0.45),  # a warning: it matters only across nodes
    "socket_error": ("network_interface", 0.75),
    "ib_error": ("ib_transport", 0.88),
    "shm_error": ("shm_exhausted", 0.9),
    "bus_error": ("shm_exhausted", 0.88),
    "p2p_error": ("p2p_hang", 0.85),
    "iommu_fault": ("p2p_hang", 0.8),
    "version_error": ("version_mismatch", 0.88),
    "rdzv_error": ("rendezvous_failure", 0.85),
    "slurm_time_limit": ("slurm_time_limit", 0.95),
    "slurm_oom": ("slurm_oom", 0.93),
    "slurm_node_fail": ("slurm_node_fail", 0.93),
    "slurm_infra": ("slurm_node_fail", 0.9),
    "slurm_preempted": ("slurm_task_failure", 0.8),
    "slurm_task_exit": ("slurm_task_failure", 0.68),
    "k8s_oom": ("k8s_oom_killed", 0.93),
    "k8s_crashloop": ("k8s_crashloop", 0.8),
    "k8s_image": ("k8s_image_pull", 0.93),
    "k8s_sched": ("k8s_scheduling", 0.9),
    "k8s_pending": ("k8s_scheduling", 0.6),
    "k8s_evicted": ("k8s_evicted", 0.92),
}
SACCT_CLASS = {
    "OUT_OF_MEMORY": ("slurm_oom", 0.9),
    "TIMEOUT": ("slurm_time_limit", 0.9),
    "NODE_FAIL": ("slurm_node_fail", 0.9),
    "FAILED": ("slurm_task_failure", 0.65),
    "PREEMPTED": ("slurm_task_failure", 0.75),
}
NCCL_CODE_CLASS = {
    "ncclUnhandledCudaError": ("cuda_error", 0.7),
    "unhandled cuda error": ("cuda_error", 0.7),
    "ncclSystemError": ("network_interface", 0.55),
    "unhandled system error": ("network_interface", 0.55),
    "ncclInvalidUsage": ("rank_desync", 0.5),
    "invalid usage": ("rank_desync", 0.5),
    "ncclInvalidArgument": ("rank_desync", 0.5),
}
# Failure messages (NCCL codes, ``Cuda failure '...'``, nccl-tests) mapped by meaning.
MESSAGE_CLASS = (
    ("out of memory", ("gpu_oom", 0.8)),
    ("peer access", ("p2p_hang", 0.8)),
    ("system not yet initialized", ("nvlink_fabric", 0.85)),
    ("named symbol not found", ("version_mismatch", 0.85)),
    ("no kernel image", ("version_mismatch", 0.85)),
    ("ECC", ("gpu_hardware", 0.9)),
    ("unhandled cuda error", ("cuda_error", 0.6)),
    ("unhandled system error", ("network_interface", 0.55)),
    ("remote process exited", ("network_interface", 0.5)),
    ("ncclRemoteError", ("network_interface", 0.5)),
)
SUSPECT_IFACES = ("lo", "docker", "virbr", "veth", "cni", "flannel")
SUSPECT_ADDRS = ("127.", "fe80:", "169.254.")
XID_CLASS = {
    "74": "nvlink_fabric",
    **dict.fromkeys(("48", "63", "64", "79", "92", "94", "95", "119", "120"), "gpu_hardware"),
}
K8S_CLASSES = ("k8s_oom_killed", "k8s_crashloop", "k8s_image_pull", "k8s_scheduling", "k8s_evicted")
MAX_QUOTED = 4  # lines quoted by an ``unknown`` finding
XID_MEANING = {
    "13": "graphics engine exception",
    "31": "GPU memory page fault",
    "43": "GPU stopped processing",
    "48": "double-bit ECC error",
    "63": "ECC page retirement / row remap",
    "64": "ECC row remap failure",
    "74": "NVLink error",
    "79": "GPU has fallen off the bus",
    "92": "high single-bit ECC error rate",
    "94": "contained ECC error",
    "95": "uncontained ECC error",
}
MAX_EVIDENCE = 6

Put = Callable[[str, float, list[Signal]], None]


@dataclass
class _Group:
    cls: str
    confidence: float
    signals: list[Signal] = field(default_factory=list)


def classify(s: Signal, analysis: RankAnalysis) -> tuple[str, float] | None:
    if s.kind == "sacct_row":
        return SACCT_CLASS.get(s.fields["state"])
    if s.kind == "xid":
        return (XID_CLASS.get(s.fields["xid"], "cuda_error"), 0.9)
    if s.kind in ("nccl_error", "cuda_failure", "nccl_test_failure"):
        code = s.fields.get("code") or s.fields.get("msg", "")
        hit = NCCL_CODE_CLASS.get(code) or _by_message(s.text)
        if hit and hit[1] <= 0.5 and analysis.crash_signals:
            return ("rank_crash", 0.55)  # a peer really crashed: the remote error follows it
        return hit or ("cuda_error", 0.55) if s.kind == "cuda_failure" else hit
    if s.kind == "busy_progress":
        return None
    if s.kind == "gloo_mesh":
        return ("network_interface", 0.9 if _gloo_over_loopback(s) else 0.7)
    if s.kind == "py_exception":
        crash = analysis.crash_signals.get(s.rank) if s.rank is not None else None
        return ("rank_crash", 0.72) if crash is s else None
    return KIND_CLASS.get(s.kind)


def _by_message(text: str) -> tuple[str, float] | None:
    return next((hit for words, hit in MESSAGE_CLASS if words in text), None)


def build_findings(
    signals: list[Signal], analysis: RankAnalysis, notable: list[Signal] | None = None
) -> list[Finding]:
    groups: dict[str, _Group] = {}

    def put(cls: str, conf: float, sigs: list[Signal]) -> None:
        g = groups.setdefault(cls, _Group(cls, conf))
        g.confidence = max(g.confidence, conf)
        g.signals.extend(sigs)

    for s in signals:
        hit = classify(s, analysis)
        if hit:
            put(hit[0], hit[1], [s])
    for f in analysis.failures:
        if f.rank is not None and f.rank in analysis.reasons and f.exitcode not in (None, -15):
            put("rank_crash", 0.75 if f.root else 0.7, f.evidence)
    _version_mismatch(signals, put)
    _mixed_hosts(signals, "net_plugin", "plugin", put)
    _mixed_hosts(signals, "driver_version", "driver", put)
    _suspect_interface(signals, groups, put)
    _gloo_fell_back(signals, put)
    _p2p_hang(signals, analysis, groups, put)
    _stopped_after_init(signals, groups, put)
    if analysis.mismatched:
        diverged = [
            s for s in signals if s.kind == "watchdog_timeout" and s.rank in analysis.mismatched
        ]
        put("rank_desync", 0.85, diverged)

    timeouts = groups.get("collective_timeout")
    if timeouts and len(groups) > 1:
        timeouts.confidence = min(timeouts.confidence, 0.6)  # a symptom of the other findings
    if {"gpu_oom", "cuda_error", "gpu_hardware", "nvlink_fabric"} & set(groups):
        rc = groups.get("rank_crash")
        if rc:
            rc.confidence = min(rc.confidence, 0.6)
    unknown = groups.pop("unknown", None)
    k8s_context = _k8s_context(signals)
    findings = [_finding(g, analysis, k8s_context) for g in groups.values()]
    findings.sort(key=lambda f: -f.confidence)
    if not findings:
        findings.append(_unknown(unknown.signals if unknown else [], notable or []))
    return findings


def _unknown(weak: list[Signal], notable: list[Signal]) -> Finding:
    """No rule is confident: quote the first and the most anomalous error lines instead."""
    quoted: list[Signal] = []
    for s in [*weak, *notable]:
        if len(quoted) < MAX_QUOTED and all((s.file, s.line) != (q.file, q.line) for q in quoted):
            quoted.append(s)
    if quoted:
        summary = (
            "No known failure signature; first and most anomalous error lines: "
            f"{quoted[0].file}:{quoted[0].line}: {quoted[0].text[:120]}"
        )
    else:
        summary = "No known failure signature and no error-looking line in the input."
    return Finding(
        class_="unknown",
        confidence=0.0,
        summary=summary,
        evidence=[Evidence(file=s.file, line=s.line, text=s.text) for s in quoted],
        fixes=FIXES["unknown"],
    )


def _version_mismatch(signals: list[Signal], put: Put) -> None:
    by_version: dict[str, Signal] = {}
    for s in signals:
        if s.kind == "nccl_version":
            by_version.setdefault(s.fields["version"], s)
    if len(by_version) > 1:
        put("version_mismatch", 0.85, list(by_version.values()))


def _mixed_hosts(signals: list[Signal], kind: str, key: str, put: Put) -> None:
    """Different libraries/drivers loaded on different hosts: the odd hosts out come first."""
    by_host: dict[str, tuple[str, Signal]] = {}
    for s in signals:
        if s.kind == kind and s.host:
            by_host.setdefault(s.host, (s.fields.get(key) or "internal", s))
    states = {state for state, _ in by_host.values()}
    if len(states) < 2:
        return
    count = {st: sum(1 for v, _ in by_host.values() if v == st) for st in states}
    ordered = sorted(by_host.values(), key=lambda v: (count[v[0]], v[0] != "internal"))
    put("version_mismatch", 0.8, [s for _, s in ordered])


def _suspect_interface(signals: list[Signal], groups: dict[str, _Group], put: Put) -> None:
    bad = [s for s in signals if s.kind == "nccl_iface" and _suspect(s.fields["list"])]
    if bad:
        trouble = {"collective_timeout", "network_interface", "rendezvous_failure"} & set(groups)
        put("network_interface", 0.78 if trouble else 0.6, bad)


def _gloo_fell_back(signals: list[Signal], put: Put) -> None:
    """gloo's mesh failed where a process had fallen back to loopback: that is why."""
    warnings = [s for s in signals if s.kind == "gloo_loopback"]
    if warnings and any(s.kind == "gloo_mesh" for s in signals):
        put("network_interface", 0.88, warnings[:2])


def _suspect(iface_list: str) -> bool:
    """Any selected interface is loopback, a container bridge, or has no routable address."""
    for entry in re.findall(r"(?:\[\d+\])?([\w.-]+):([\w.:%-]+)", iface_list):
        name, addr = entry
        if name.startswith(SUSPECT_IFACES) or addr.startswith(SUSPECT_ADDRS):
            return True
    return False


def _stopped_after_init(signals: list[Signal], groups: dict[str, _Group], put: Put) -> None:
    """nccl-tests printed its header but no result row and no error: it hung in a collective."""
    header = [s for s in signals if s.kind == "nccl_tests_header"]
    if not header or groups or any(s.kind == "nccl_tests_row" for s in signals):
        return
    hosts = {s.host for s in signals if s.host}
    if len(hosts) <= 1:
        put("p2p_hang", 0.6, header)
    else:
        put("collective_timeout", 0.55, header)


def _p2p_hang(
    signals: list[Signal], analysis: RankAnalysis, groups: dict[str, _Group], put: Put
) -> None:
    if "collective_timeout" not in groups or set(groups) - {"collective_timeout", "rank_crash"}:
        return
    hosts = {s.host for s in signals if s.host}
    p2p = [s for s in signals if s.kind == "p2p_setup"]
    crashed = any(r in analysis.crash_signals for r in analysis.culprits)
    if p2p and len(hosts) <= 1 and not crashed:
        put("p2p_hang", 0.72, p2p[:2])


def _k8s_context(signals: list[Signal]) -> dict[str, list[Signal]]:
    """``Name:``/``Node:`` lines per file: a describe dump is about the pod it names."""
    ctx: dict[str, list[Signal]] = {}
    for s in signals:
        if s.kind in ("k8s_pod", "k8s_node"):
            ctx.setdefault(s.file, []).append(s)
    return ctx


def _k8s_names(sigs: list[Signal], ctx: dict[str, list[Signal]]) -> list[str]:
    """The pod a finding is about first, then its node."""
    pods: list[str] = []
    nodes: list[str] = []
    for s in sigs:
        pod, node = s.fields.get("pod"), s.fields.get("host")
        for c in ctx.get(s.file, []):
            if c.line <= s.line and c.kind == "k8s_pod" and not pod:
                pod = c.fields["pod"]
            if c.line <= s.line and c.kind == "k8s_node" and not node:
                node = c.fields["host"]
        if pod and pod not in pods:
            pods.append(pod)
        if node and node not in nodes:
            nodes.append(node)
    return pods + nodes


def _finding(g: _Group, analysis: RankAnalysis, k8s_context: dict[str, list[Signal]]) -> Finding:
    culprit_order = {r: i for i, r in enumerate(analysis.culprits)}
    ranks = {s.rank for s in g.signals if s.rank is not None}
    if g.cls in ("collective_timeout", "rank_desync", "rank_crash", "p2p_hang"):
        ranks |= set(analysis.culprits)
    if g.cls == "collective_timeout":
        ranks |= set(analysis.timed_out)
    for s in g.signals:
        if s.kind in ("desync_lagging", "fr_missing"):
            ranks.update(int(r) for r in s.fields["ranks"].replace(" ", "").split(","))
    ordered = sorted(ranks, key=lambda r: (culprit_order.get(r, len(culprit_order)), r))
    hosts: list[str] = []
    for r in ordered:
        h = analysis.rank_hosts.get(r)
        if h and h not in hosts:
            hosts.append(h)
    if g.cls in K8S_CLASSES:
        hosts = _k8s_names(g.signals, k8s_context)
    for s in g.signals:
        for h in (s.host, s.fields.get("peer")):
            if h and h not in hosts:
                hosts.append(h)
    sigs = sorted(
        g.signals,
        key=lambda s: (culprit_order.get(s.rank, 99) if s.rank is not None else 99, s.file, s.line),
    )
    evidence = [Evidence(file=s.file, line=s.line, text=s.text) for s in sigs[:MAX_EVIDENCE]]
    summary, fix = _gloo_address(g) if g.cls == "network_interface" else (None, None)
    return Finding(
        class_=g.cls,
        confidence=round(min(g.confidence + 0.02 * max(min(len(g.signals) - 1, 3), 0), 0.99), 2),
        summary=summary or _summary(g, analysis, ordered),
        ranks=ordered,
        hosts=hosts,
        evidence=evidence,
        fixes=[fix, *FIXES[g.cls]] if fix else FIXES[g.cls],
    )


def _gloo_over_loopback(s: Signal) -> bool:
    return any(s.fields.get(end, "").startswith(("127.", "::1")) for end in ("local", "remote"))


def _gloo_address(g: _Group) -> tuple[str | None, str | None]:
    """(summary, first fix) naming what gloo found no address for: the generic advice on
    NCCL's interface does not say that GLOO_SOCKET_IFNAME names a missing one."""
    ip = "`ip -br addr` lists a host's interfaces and their addresses"
    s = next((s for s in g.signals if s.kind == "gloo_iface"), None)
    meshes = [s for s in g.signals if s.kind == "gloo_mesh"]
    mesh = next((m for m in meshes if _gloo_over_loopback(m)), meshes[0] if meshes else None)
    fell_back = any(s.kind == "gloo_loopback" for s in g.signals)
    if s is None and mesh is not None and (fell_back or _gloo_over_loopback(mesh)):
        f = mesh.fields
        rank = f.get("mesh_rank", mesh.rank)
        who = "a rank" if rank is None else f"rank {rank}"
        who += f" of {f['size']}" if "size" in f else ""
        ends = [f"{end} {f[end]}" for end in ("local", "remote") if end in f]
        where = f" ({', '.join(ends)})" if ends else ""
        return (
            f"gloo: {who} could not connect its peers{where}: a process found no address of "
            "its own for its host's name and bound loopback, which peers on other nodes "
            "cannot reach",
            f"Set GLOO_SOCKET_IFNAME to the interface the nodes reach each other on ({ip}), or "
            "make each host's name resolve to its own routable address (/etc/hosts). Set it "
            "where every worker process starts (each node's environment, the Ray runtime_env, "
            "the pod spec), not only where the job is launched: the loopback warning shows a "
            "process that did not have it. In Kubernetes with hostNetwork the pod's /etc/hosts "
            "maps only 127.0.0.1.",
        )
    if s is None:
        return None, None
    if "address" in s.fields:
        return (
            f"gloo: this host's name resolves to {s.fields['address']}, which no local "
            "interface has",
            f"Set GLOO_SOCKET_IFNAME to the interface gloo should use ({ip}), or make the "
            "host's name resolve to one of its own addresses (/etc/hosts).",
        )
    name = s.fields["name"]
    if s.fields.get("lookup") == "rp":
        return (
            f"gloo: this host's name {name} resolves to no address it can bind",
            f"Set GLOO_SOCKET_IFNAME to the interface gloo should use ({ip}), or make {name} "
            "resolve to one of the host's own addresses (/etc/hosts).",
        )
    return (
        f"gloo: GLOO_SOCKET_IFNAME names interface {name}, which this host does not have",
        f"Set GLOO_SOCKET_IFNAME to an interface that exists on every node, or unset it: {ip}, "
        f"and {name} is not one of them. It takes interface names (a comma-separated list), "
        "not NCCL_SOCKET_IFNAME's ^exclusions or prefixes.",
    )


def _summary(g: _Group, a: RankAnalysis, ranks: list[int]) -> str:
    culprit = a.culprits[0] if a.culprits else None
    first = g.signals[0] if g.signals else None
    if g.cls == "collective_timeout":
        what = (
            f"{a.majority_op} SeqNum {a.majority_seq}"
            if a.majority_seq is not None
            else "a collective"
        )
        n = len(a.timed_out)
        if culprit is not None:
            why = a.reasons[culprit]
            return f"{n} rank(s) timed out in {what}; rank {culprit} is the culprit: {why}"
        return f"{n} rank(s) timed out in {what}; no single lagging rank identified"
    if g.cls == "rank_desync" and culprit is not None:
        return f"Ranks diverged; rank {culprit}: {a.reasons[culprit]}"
    if g.cls == "rank_crash" and culprit is not None:
        return f"Rank {culprit} failed first ({a.reasons[culprit]}); the other ranks followed"
    if g.cls == "cuda_error":
        xids = sorted({s.fields["xid"] for s in g.signals if s.kind == "xid"})
        if xids:
            meaning = ", ".join(
                f"Xid {x} ({XID_MEANING.get(x, 'see NVIDIA Xid catalog')})" for x in xids
            )
            return f"GPU hardware/driver error: {meaning}"
    if g.cls == "version_mismatch":
        vs = sorted({s.fields["version"] for s in g.signals if "version" in s.fields})
        if len(vs) > 1:
            return f"Different NCCL versions across ranks/hosts: {', '.join(vs)}"
    where = f" on rank {ranks[0]}" if ranks else ""
    label = g.cls.replace("_", " ")
    return f"{label}{where}: {first.text[:160] if first else ''}".strip()
