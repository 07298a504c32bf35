"""NCCL_DEBUG=INFO/WARN lines: ``host:pid:tid [dev] NCCL INFO|WARN ...``."""

from __future__ import annotations

from kodo.diagnose.rules import Rule

RULES = [
    Rule("nccl_version", "NCCL INFO NCCL version", r"NCCL version (?P<version>\d+\.\d+\.\d+)"),
    Rule(
        "nccl_comm",
        "NCCL INFO comm 0x",
        r"comm 0x[0-9a-f]+ rank (?P<rank>\d+) n[Rr]anks (?P<world>\d+)",
    ),
    Rule("nccl_net", "NCCL INFO Using network", r"Using network (?P<net>\w+)"),
    Rule(
        "nccl_iface",
        " : Using [0]",
        r"(?P<layer>Bootstrap|NET/Socket|NET/IB) ?: Using \[0\](?P<iface>[\w.:-]+?)[:<]",
    ),
    Rule(
        "nccl_iface",
        "Bootstrap : Using ",
        r"Bootstrap : Using (?P<iface>[\w.-]+):",
    ),
    Rule(
        "setting",
        "set by environment to",
        r"(?P<name>NCCL_\w+) set by environment to (?P<value>\S+)",
    ),
    Rule("iface_error", "no socket interface found"),
    Rule("iface_error", "No usable listening interface found"),
    Rule("iface_error", "Bootstrap : no socket interface found"),
    Rule(
        "socket_error",
        "NCCL WARN",
        r"NCCL WARN (?:socket\w*|NET/Socket|Net : |Call to connect|bootstrap\w*)[^\n]*?"
        r"(?:(?:Connect to|peer) (?P<peer>[\w.:%-]+)<\d+>)?[^\n]*?"
        r"(?P<why>Connection refused|Connection timed out|Connection reset by peer|"
        r"Software caused connection abort|No route to host|Network is unreachable)",
    ),
    Rule(
        "ib_error",
        "NET/IB :",
        r"NET/IB ?: (?:Got completion from peer (?P<peer>[\w.:%-]+)<\d+> with "
        r"(?:error |status=)(?P<status>\d+)|(?P<other>.*(?:failed|error|No device found|"
        r"Unable to open).*))",
    ),
    Rule(
        "ib_error",
        "NET/IB:",
        r"NET/IB: ?Got completion from peer (?P<peer>[\w.:%-]+)<\d+> with "
        r"(?:error |status=)(?P<status>\d+)",
    ),
    Rule("ib_error", "ibv_", r"NCCL WARN.*(?P<call>ibv_\w+)"),
    Rule("ib_error", "IBV_WC_", r"(?P<wc>IBV_WC_\w+)"),
    Rule("shm_error", "/dev/shm", r"(?:NCCL WARN|Error|error|failed).*?/dev/shm"),
    Rule("shm_error", "posix_fallocate failed"),
    Rule("shm_error", "shared memory segment", r"(?:Error|error|fail).*shared memory segment"),
    Rule("p2p_setup", "via P2P/", r"via P2P/(?P<mode>\w+)"),
    Rule("p2p_error", "peer access is not supported"),
    Rule("p2p_error", "cudaIpcOpenMemHandle", r"NCCL WARN.*cudaIpcOpenMemHandle"),
    Rule("p2p_error", "P2P is disabled between"),
    Rule("iommu_fault", "IO_PAGE_FAULT"),
    Rule("iommu_fault", "DMAR: [DMA", r"DMAR: \[DMA (?:Read|Write)\]"),
    Rule(
        "version_error",
        "ismatched NCCL version",
        r"rank (?P<rank>\d+) version (?P<version>\d+) rank (?P<other>\d+) version (?P<v2>\d+)",
    ),
    Rule("version_error", "CUDA driver version is insufficient for CUDA runtime version"),
    Rule("nccl_warn", "NCCL WARN", r"NCCL WARN (?P<msg>.{0,160})"),
]
