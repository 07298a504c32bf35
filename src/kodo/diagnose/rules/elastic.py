"""torchrun / torch.distributed.elastic: ChildFailedError summaries, rendezvous and TCPStore."""

from __future__ import annotations

from kodo.diagnose.rules import Rule

RULES = [
    Rule("child_failed_header", "ChildFailedError"),
    Rule("child_root", "Root Cause (first observed failure)"),
    Rule("child_host", "host      :", r"^\s*host\s+: (?P<host>\S+)"),
    Rule("child_time", "time      :", r"^\s*time\s+: (?P<at>\S+)"),
    Rule(
        "child_rank",
        "(local_rank:",
        r"^\s*rank\s+: (?P<rank>\d+) \(local_rank: (?P<local_rank>\d+)\)",
    ),
    Rule("child_exit", "exitcode  :", r"^\s*exitcode\s+: (?P<exitcode>-?\d+)"),
    Rule(
        "child_exit",
        "failed (exitcode:",
        r"failed \(exitcode: (?P<exitcode>-?\d+)\) local_rank: (?P<local_rank>\d+)",
    ),
    Rule(
        "child_signal", "Signal ", r"Signal (?P<signo>\d+) \((?P<signal>SIG\w+)\) received by PID"
    ),
    Rule("rdzv_error", "RendezvousTimeoutError"),
    Rule("rdzv_error", "RendezvousConnectionError"),
    Rule("rdzv_error", "RendezvousClosedError"),
    Rule("rdzv_error", "clients joined", r"(?P<joined>\d+)/(?P<expected>\d+) clients joined"),
    Rule(
        "rdzv_error",
        "client socket has",
        r"client socket has (?:timed out after (?P<timeout_ms>\d+)ms while trying to connect|"
        r"failed to connect) to \(?\[?(?P<peer>[\w.:-]+?)\]?(?:, |:)(?P<port>\d+)",
    ),
    Rule("rdzv_error", "server socket has failed to listen", r"port: (?P<port>\d+)"),
    Rule("rdzv_error", "EADDRINUSE"),
    Rule("rdzv_error", "DistNetworkError"),
    Rule("rdzv_error", "DistStoreError"),
    Rule("rdzv_error", "host not found", r"host not found: Name or service not known"),
]
