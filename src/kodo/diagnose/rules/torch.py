"""PyTorch c10d / ProcessGroupNCCL messages (watchdog, desync report, flight recorder)."""

from __future__ import annotations

from kodo.diagnose.rules import Rule

RULES = [
    Rule(
        "watchdog_timeout",
        "Watchdog caught collective operation timeout",
        r"WorkNCCL\(SeqNum=(?P<seq>\d+), OpType=(?P<op>\w+)(?:, NumelIn=(?P<numel_in>\d+))?"
        r"(?:, NumelOut=(?P<numel_out>\d+))?, Timeout\(ms\)=(?P<timeout_ms>\d+)\)"
        r"(?: ran for (?P<ran_ms>\d+) milliseconds)?",
    ),
    Rule(
        "work_progress",
        "last completed NCCL work",
        r"(?:at work|Timeout at NCCL work): (?P<seq>\d+), last enqueued NCCL work: "
        r"(?P<enqueued>-?\d+), last completed NCCL work: (?P<completed>-?\d+)",
    ),
    Rule("watchdog_frames", "WorkNCCL::checkTimeout"),
    Rule("watchdog_frames", "Exception raised from checkTimeout"),
    Rule(
        "fingerprint_mismatch",
        "Detected mismatch between collectives",
        r"Rank (?P<rank>\d+) is running (?:inconsistent )?collective: CollectiveFingerPrint\("
        r"[^)]{0,60}?OpType=(?P<op>\w+)(?:.{0,600}?but Rank (?P<other>\d+) is running "
        r"collective: (?:CollectiveFingerPrint\([^)]{0,60}?OpType=)?(?P<other_op>\w+))?",
    ),
    Rule(
        "store_timeout",
        "timed out after",
        r"(?:waitForInput|recvValue|SocketImpl).{0,200}?timed out after (?P<timeout_ms>\d+)ms",
    ),
    Rule("store_timeout", "Socket Timeout"),
    Rule(
        "busy_progress",
        "%|",
        r"(?P<what>(?i:tokeniz\w*|map\w*|filter\w*|loading\w*|packing|preprocess\w*|"
        r"generating\w*|grouping\w*|download\w*|running tokenizer))[^%|]{0,60}?:\s*\d+%\|",
    ),
    Rule("nccl_ops_failed", "Some NCCL operations have failed or timed out"),
    Rule(
        "desync_lagging",
        "collective #",
        r"\[(?P<ranks>\d+(?:, ?\d+)*)\] (?:finished collective #\d+, but didn't join|"
        r"joined but didn't finish) collective #(?P<seq>\d+)",
    ),
    Rule(
        "desync_lagging",
        "are the lagging ranks",
        r"ranks \[(?P<ranks>\d+(?:, ?\d+)*)\] are the lagging ranks",
    ),
    Rule("fr_missing", "missing ranks", r"missing ranks: \{(?P<ranks>\d+(?:, ?\d+)*)\}"),
    Rule("fr_missing", "Missing ranks are", r"Missing ranks are \{(?P<ranks>\d+(?:, ?\d+)*)\}"),
    Rule(
        "op_mismatch",
        "Collective type mismatch",
        r"rank (?P<rank>\d+).{0,200}?(?P<op>\w+) but rank (?P<other>\d+).{0,200}?(?P<other_op>\w+)",
    ),
    Rule("fr_dump", "dumping nccl trace to", r"dumping nccl trace to (?P<path>\S+)"),
    Rule("fr_dump", "Observed flight recorder dump signal"),
    Rule("heartbeat", "Heartbeat monitor timed out"),
    Rule(
        "heartbeat",
        "watchdog got stuck",
        r"watchdog got stuck for (?P<secs>\d+) seconds",
    ),
    Rule(
        "pg_options",
        "ProcessGroupNCCL initialization options",
        r"size: (?P<world>\d+), global rank: (?P<rank>\d+)"
        r"(?:, TIMEOUT\(ms\): (?P<timeout_ms>\d+))?",
    ),
    Rule(
        "nccl_version",
        "ProcessGroupNCCL environments: NCCL version",
        r"NCCL version: (?P<version>\d+\.\d+\.\d+)",
    ),
    Rule("setting", "TORCH_NCCL_", r"(?P<name>TORCH_NCCL_\w+)(?::|=) ?(?P<value>[^,\s]+)"),
    Rule(
        "nccl_error",
        "Error: ",
        r"\b(?P<code>ncclUnhandledCudaError|ncclSystemError|ncclInternalError|"
        r"ncclRemoteError|ncclInvalidUsage|ncclInvalidArgument): ",
    ),
    Rule(
        "nccl_error",
        "NCCL error",
        r"NCCL error.{0,300}?, (?P<code>unhandled system error|unhandled cuda error|internal error|"
        r"remote process exited or there was a network error|invalid usage)"
        r"(?:.{0,300}?NCCL version (?P<version>\d+\.\d+\.\d+))?",
    ),
    Rule(
        "py_exception",
        "Error: ",
        r"^(?:\[rank\d+\]: ?|\[default\d+\]:)?(?P<exc>[A-Za-z_][\w.]*(?:Error|Exception)): "
        r"(?P<msg>.{0,200})",
    ),
    Rule("bus_error", "insufficient shared memory (shm)"),
    # gloo's TCP device: the interface GLOO_SOCKET_IFNAME names (``ifa``), or the host's own
    # name (``rp``), yields no local address; or that name resolves to no local interface
    Rule(
        "gloo_iface",
        "Unable to find address for: ",
        r"(?:\b(?P<lookup>ifa|rp) != nullptr\. )?Unable to find address for: (?P<name>[^\s\]]+)",
    ),
    Rule(
        "gloo_iface",
        "Unable to find interface for: ",
        r"Unable to find interface for: \[?(?P<address>[^\s\]]+)",
    ),
    # the host's name resolves to no local address, so gloo binds loopback and tells its peers
    # 127.0.0.1: harmless on one node, fatal across nodes (aws-samples/aws-do-eks#69)
    Rule("gloo_loopback", "Using the loopback address as fallback"),
    Rule(
        "gloo_mesh",
        "connectFullMesh failed",
        r"connectFullMesh failed(?: with .{0,300}?remote=\[(?P<remote>[^\]\s]*)\]"
        r"(?:.{0,100}?\(rank=(?P<mesh_rank>\d+), size=(?P<size>\d+), "
        r"local=\[(?P<local>[^\]\s]*)\])?)?",
    ),
    Rule(  # the same error wrapped onto lines of its own, as people paste it
        "gloo_mesh",
        "remote=[",
        r"(?:SO_ERROR|timed out connecting|Connection refused).{0,100}?"
        r"remote=\[(?P<remote>[^\]\s]*)\]",
    ),
]
