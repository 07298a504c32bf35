"""Cross-rank reasoning: who fell behind, who crashed, and who merely timed out waiting.

When one rank dies or stalls, every other rank's watchdog fires at the same SeqNum; the
culprit is the rank whose story differs (no timeout, an older SeqNum, another op, a crash).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from kodo.diagnose.scanner import Signal

# Exceptions that are the *consequence* of a collective failing, not a rank's own crash.
COMM_EXCEPTIONS = ("DistBackendError", "ChildFailedError", "DistNetworkError", "DistStoreError")
CRASH_KINDS = ("gpu_oom", "cuda_error", "xid", "gpu_hw", "py_exception")
# Wording of collective *mismatch* reports: desync evidence, not a rank's own crash.
MISMATCH_WORDS = ("Detected mismatch between collectives", "Mismatched collective")
DEFAULT_TIMEOUTS_MS = {600_000: "10 min", 1_800_000: "30 min"}
SIGTERM, SIGABRT = -15, -6

AddCulprit = Callable[[int, int, str, Signal | None], None]


@dataclass
class ChildFailure:
    rank: int | None
    local_rank: int | None
    host: str | None
    exitcode: int | None
    signal_name: str | None
    root: bool
    evidence: list[Signal]


@dataclass
class RankAnalysis:
    world_size: int | None
    culprits: list[int]
    reasons: dict[int, str]
    timed_out: list[int]
    majority_seq: int | None
    majority_op: str | None
    mismatched: list[int]
    rank_hosts: dict[int, str]
    failures: list[ChildFailure]
    first_error: Signal | None = None
    crash_signals: dict[int, Signal] = field(default_factory=dict)


def assign_ranks(signals: list[Signal]) -> dict[int, str]:
    """Fill in rank for NCCL lines via host:pid from ``comm ... rank N`` lines; map rank→host."""
    by_pid: dict[tuple[str, int], int] = {}
    rank_hosts: dict[int, str] = {}
    for s in signals:
        if s.kind == "nccl_comm" and s.host and s.pid is not None:
            by_pid[(s.host, s.pid)] = int(s.fields["rank"])
    for s in signals:
        if s.host and s.pid is not None and (s.host, s.pid) in by_pid:
            s.rank = by_pid[(s.host, s.pid)]
        if s.kind == "nccl_comm":
            s.rank = int(s.fields["rank"])
        if s.rank is not None and s.host and s.rank not in rank_hosts:
            rank_hosts[s.rank] = s.host
    return rank_hosts


def child_failures(signals: list[Signal]) -> list[ChildFailure]:
    """Reassemble torchrun's multi-line ChildFailedError entries (and agent ``failed`` lines)."""
    out: list[ChildFailure] = []
    root = False
    host: str | None = None
    when = None
    current_file = None
    for s in signals:
        if s.file != current_file:
            current_file, root, host = s.file, False, None
        if s.kind == "child_failed_header":
            root = False
        elif s.kind == "child_root":
            root = True
        elif s.kind == "child_host":
            host = s.fields["host"]
        elif s.kind == "child_time":
            when = s.ts
        elif s.kind == "child_rank":
            out.append(
                ChildFailure(
                    int(s.fields["rank"]), int(s.fields["local_rank"]), host, None, None, root, [s]
                )
            )
            s.rank, s.host, s.ts = out[-1].rank, host, s.ts or when
        elif s.kind == "child_exit" and "local_rank" in s.fields:
            code = int(s.fields["exitcode"])
            out.append(
                ChildFailure(None, int(s.fields["local_rank"]), s.host, code, None, False, [s])
            )
        elif s.kind == "child_exit" and out and out[-1].exitcode is None:
            out[-1].exitcode = int(s.fields["exitcode"])
            out[-1].evidence.append(s)
            s.rank = out[-1].rank
        elif s.kind == "child_signal" and out and out[-1].signal_name is None:
            out[-1].signal_name = s.fields["signal"]
            out[-1].evidence.append(s)
            s.rank = out[-1].rank
    return out


def _is_crash(s: Signal) -> bool:
    if s.kind != "py_exception":
        return s.kind in CRASH_KINDS
    exc = s.fields.get("exc", "")
    if any(w in s.fields.get("msg", "") for w in MISMATCH_WORDS):
        return False
    return not exc.endswith(COMM_EXCEPTIONS) and not exc.startswith("nccl")


def analyse(signals: list[Signal]) -> RankAnalysis:
    rank_hosts = assign_ranks(signals)
    failures = child_failures(signals)
    for f in failures:
        if f.rank is not None and f.host:
            rank_hosts.setdefault(f.rank, f.host)

    worlds = [int(s.fields["world"]) for s in signals if "world" in s.fields]
    seen = {s.rank for s in signals if s.rank is not None}
    world = max(worlds) if worlds else None

    timeouts: dict[int, Signal] = {}
    for s in signals:
        if s.kind == "watchdog_timeout" and s.rank is not None:
            timeouts.setdefault(s.rank, s)
    seqs = Counter(int(s.fields["seq"]) for s in timeouts.values())
    majority_seq = seqs.most_common(1)[0][0] if seqs else None
    ops = Counter(s.fields["op"] for s in timeouts.values() if int(s.fields["seq"]) == majority_seq)
    majority_op = ops.most_common(1)[0][0] if ops else None

    reasons: dict[int, str] = {}
    order: list[tuple[int, float, int]] = []  # (priority, time, rank)

    def add(rank: int, priority: int, reason: str, s: Signal | None) -> None:
        if rank in reasons:
            return
        reasons[rank] = reason
        order.append((priority, s.ts.timestamp() if s and s.ts else float("inf"), rank))

    for s in signals:
        if s.kind == "desync_lagging":
            for word in s.fields["ranks"].replace(" ", "").split(","):
                add(int(word), 0, f"named by the desync report: {s.text[:120]}", s)
        elif s.kind == "fr_missing":
            for word in s.fields["ranks"].replace(" ", "").split(","):
                add(int(word), 0, "flight recorder: never joined the collective", s)
        elif s.kind == "fingerprint_mismatch":
            other = s.fields.get("other_op", "?")
            why = f"ran {s.fields['op']} while rank {s.fields.get('other', '?')} ran {other}"
            add(int(s.fields["rank"]), 0, f"collective fingerprint differs: {why}", s)

    crash_signals: dict[int, Signal] = {}
    for s in sorted(signals, key=_time_key):
        if s.rank is not None and _is_crash(s):
            crash_signals.setdefault(s.rank, s)
    for rank, s in sorted(crash_signals.items(), key=lambda kv: _time_key(kv[1])):
        add(rank, 1, f"crashed first: {s.text[:120]}", s)

    for f in sorted(failures, key=lambda f: not f.root):
        if f.rank is None or f.exitcode is None or f.exitcode == SIGTERM:
            continue
        if f.exitcode == SIGABRT and f.rank in timeouts:
            continue  # the watchdog aborted it after the timeout: a symptom
        why = f.signal_name or f"exit code {f.exitcode}"
        add(f.rank, 1 if f.root else 2, f"torchrun reports it failed ({why})", f.evidence[0])

    mismatched: list[int] = []
    if majority_seq is not None:
        for rank, s in timeouts.items():
            seq, op = int(s.fields["seq"]), s.fields["op"]
            if seq == majority_seq and op != majority_op:
                mismatched.append(rank)
                add(rank, 1, f"ran {op} at SeqNum {seq} while others ran {majority_op}", s)
            elif seq < majority_seq:
                add(rank, 2, f"stuck at older SeqNum {seq} (others at {majority_seq})", s)
        _lagging_by_progress(signals, add)
        universe = set(range(world)) if world else seen
        silent = sorted(universe - set(timeouts) - set(reasons))
        silent_logged = [r for r in silent if r in seen]
        if silent_logged or (silent and len(silent) <= max(1, len(universe) // 4)):
            for r in silent_logged or silent:
                add(
                    r,
                    3,
                    f"never reported SeqNum {majority_seq}: did not reach the collective",
                    None,
                )

    if not reasons:
        _slow_peer(signals, set(timeouts), add)
    order.sort()
    errors = [s for s in signals if s.kind not in INFO_KINDS]
    first = min(errors, key=_time_key) if errors else None
    return RankAnalysis(
        world_size=world or (max(seen) + 1 if seen else None),
        culprits=[r for _, _, r in order],
        reasons=reasons,
        timed_out=sorted(timeouts),
        majority_seq=majority_seq,
        majority_op=majority_op,
        mismatched=mismatched,
        rank_hosts=rank_hosts,
        failures=failures,
        first_error=first,
        crash_signals=crash_signals,
    )


def _slow_peer(signals: list[Signal], timed_out: set[int], add: AddCulprit) -> None:
    """Ranks waited in a store/barrier read and timed out: the peer not waiting is the culprit.

    Rank 0 hosts the store and runs main-process-first work (tokenising, loading, saving);
    when it is not among the waiting ranks and the wait equals a default timeout, it was
    simply slow outside any collective.
    """
    waiting = {s.rank for s in signals if s.kind == "store_timeout" and s.rank is not None}
    busy = next((s for s in signals if s.kind == "busy_progress"), None)
    if not waiting and busy is None:
        return  # a watchdog report alone does not say who else was not waiting
    waiting |= timed_out
    if not waiting or 0 in waiting:
        return
    limit = next((int(s.fields["timeout_ms"]) for s in signals if "timeout_ms" in s.fields), None)
    why = "not waiting with the others"
    if busy is not None:
        why += f" (busy outside any collective: {busy.fields['what'].lower()})"
    if limit in DEFAULT_TIMEOUTS_MS:
        why += f"; the wait hit the default {DEFAULT_TIMEOUTS_MS[limit]} timeout"
    add(0, 3, why, busy)


def _lagging_by_progress(signals: list[Signal], add: AddCulprit) -> None:
    progress: dict[int, Signal] = {}
    for s in signals:
        if s.kind == "work_progress" and s.rank is not None:
            progress.setdefault(s.rank, s)
    if len(progress) < 2:
        return
    done = Counter(int(s.fields["completed"]) for s in progress.values())
    common = done.most_common(1)[0][0]
    for rank, s in progress.items():
        completed = int(s.fields["completed"])
        if completed < common:
            add(rank, 2, f"last completed NCCL work {completed}, others {common}", s)


def _time_key(s: Signal) -> tuple[int, float, str, int]:
    return (s.ts is None, s.ts.timestamp() if s.ts else 0.0, s.file, s.line)


INFO_KINDS = {
    "nccl_version",
    "nccl_comm",
    "nccl_net",
    "nccl_iface",
    "setting",
    "pg_options",
    "p2p_setup",
    "k8s_pod",
    "k8s_node",
    "k8s_exit",
    "child_host",
    "child_time",
    "child_root",
    "child_failed_header",
    "fr_dump",
    "net_plugin",
    "driver_version",
    "nccl_tests_header",
    "nccl_tests_row",
    "busy_progress",
}
