"""NCCL_DEBUG=INFO/WARN lines: ``host:pid:tid [dev] [file:line] [NCCL] INFO|WARN ...``.

NCCL before 2.3 printed ``WARN``/``INFO`` without the ``NCCL`` token, and launchers prefix the
line in many ways, so patterns anchor on the message, not on the prefix or on one version's
wording.
"""

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
        " : Using [",
        r"(?P<layer>Bootstrap|NET/Socket|NET/IB) ?: Using (?P<list>\[\d+\]\S+(?: \[\d+\]\S+)*)",
    ),
    Rule(
        "nccl_iface",
        ": Using ",
        r"(?P<layer>Bootstrap|NET) ?: Using (?:interface )?(?P<list>[\w.-]+:[\w.:%-]+<\d+>)",
    ),
    Rule("nccl_iface", "IP Interfaces : ", r"IP Interfaces : (?P<list>.{1,200})"),
    Rule(
        "setting",
        "set by environment to",
        r"(?P<name>NCCL_\w+) set by environment to (?P<value>\S+)",
    ),
    Rule("iface_error", "no socket interface found"),
    Rule("iface_error", "No usable listening interface found"),
    Rule("iface_error", "interface found", r"no \w+ interface found"),
    Rule("iface_error", "Address family not supported"),
    Rule("iface_error", "nor AF_INET6", r"family \d+ is neither AF_INET"),
    Rule(
        "socket_error",
        "WARN",
        r"\bWARN (?:socket\w*|NET/Socket|Net : |Call to connect|Connect to|bootstrap\w*|"
        r"Connection closed).{0,200}?(?:(?:Connect to|peer) (?P<peer>[\w.:%-]+)<\d+>)?.{0,200}?"
        r"(?P<why>Connection refused|Connection timed out|Connection reset by peer|"
        r"Software caused connection abort|No route to host|Network is unreachable|"
        r"closed by remote peer)",
    ),
    Rule("net_plugin", "Plugin Path : ", r"Plugin Path : (?P<plugin>\S+)"),
    Rule(
        "net_plugin",
        "NET/Plugin",
        r"NET/Plugin ?: ?(?:Could not find: |No plugin found|Plugin load (?:\(\S+\) )?returned)"
        r"(?P<internal>)",
    ),
    Rule("net_plugin", "Using network ", r"Using network (?P<plugin>AWS Libfabric|IBext\w*)"),
    Rule("driver_version", "cudaDriverVersion", r"cudaDriverVersion (?P<driver>\d+)"),
    Rule("nvls_error", "nvls.cc:", r"nvls\.cc:\d+ (?:NCCL )?WARN (?P<msg>.{0,160})"),
    Rule(
        "nvls_error",
        "Multicast",
        r"(?i)(?:NVLS|NVLink SHARP)\W.{0,80}multicast.{0,120}(?:fail|error)",
    ),
    Rule(
        "nvls_error", "Fabric Manager", r"(?i)error in the Fabric Manager|fabric manager.{0,80}fail"
    ),
    Rule("nvls_error", "system not yet initialized"),
    Rule("nvls_error", "NVSwitch", r"(?i)NVSwitch.{0,120}(?:fatal|error|fail)"),
    Rule("arch_error", "named symbol not found"),
    Rule("arch_error", "no kernel image is available"),
    Rule("arch_error", "invalid device function"),
    Rule(
        "arch_error",
        "is not compatible with the current PyTorch",
        r"with CUDA capability (?P<sm>sm_\d+) is not compatible",
    ),
    Rule("acs_enabled", "ACSCtl:", r"ACSCtl:\s+SrcValid\+"),
    Rule(
        "nccl_test_failure",
        "Test ",
        r"Test (?:CUDA|NCCL) failure (?P<where>\S+:\d+) '(?P<msg>[^']{1,120})",
    ),
    Rule("nccl_tests_header", "# Using devices"),
    Rule(
        "nccl_tests_row",
        "float",
        r"^\s*\d+\s+\d+\s+float\s+\w+\s+-?\d+\s+[\d.]+\s",
    ),
    Rule(
        "desync_lagging",
        "Mismatched collective",
        r"Mismatched collective detected.{0,120}?around rank (?P<ranks>\d+)",
    ),
    Rule("cuda_failure", "Cuda failure", r"Cuda failure (?:\d+ )?'(?P<msg>[^']{1,120})'"),
    Rule(
        "ib_error",
        "NET/IB :",
        r"NET/IB ?: (?:Got completion from peer (?P<peer>[\w.:%-]+)<\d+> with "
        r"(?:error |status=)(?P<status>\d+)|(?P<other>.{0,200}(?:failed|error|No device found|"
        r"Unable to open).{0,200}))",
    ),
    Rule(
        "ib_error",
        "NET/IB:",
        r"NET/IB: ?Got completion from peer (?P<peer>[\w.:%-]+)<\d+> with "
        r"(?:error |status=)(?P<status>\d+)",
    ),
    Rule("ib_error", "ibv_", r"\bWARN.{0,200}?(?P<call>ibv_\w+)"),
    Rule("ib_error", "IBV_WC_", r"(?P<wc>IBV_WC_\w+)"),
    Rule("shm_error", "/dev/shm", r"(?:\bWARN|Error|error|failed).{0,200}?/dev/shm"),
    Rule("shm_error", "posix_fallocate failed"),
    Rule(
        "shm_error", "shared memory segment", r"(?:Error|error|fail).{0,200}shared memory segment"
    ),
    Rule("p2p_setup", "via P2P/", r"via P2P/(?P<mode>\w+)"),
    Rule("p2p_error", "peer access is not supported"),
    Rule("p2p_error", "cudaIpcOpenMemHandle", r"\bWARN.{0,200}cudaIpcOpenMemHandle"),
    Rule("p2p_error", "CUDA IPC handle", r"\bWARN.{0,200}failed to open CUDA IPC handle"),
    Rule("p2p_error", "P2P is disabled between"),
    Rule("iommu_fault", "IO_PAGE_FAULT"),
    Rule("iommu_fault", "DMAR: [DMA", r"DMAR: \[DMA (?:Read|Write)\]"),
    Rule(
        "version_error",
        "ismatched NCCL version",
        r"rank (?P<rank>\d+) version (?P<version>\d+) rank (?P<other>\d+) version (?P<v2>\d+)",
    ),
    Rule("version_error", "CUDA driver version is insufficient for CUDA runtime version"),
    Rule("nccl_warn", "WARN ", r"(?:NCCL|\.\w+:\d+) WARN (?P<msg>.{0,160})"),
]
