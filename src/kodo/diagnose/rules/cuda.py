"""CUDA runtime errors, out-of-memory, and GPU hardware state (ECC, Xid, bus) from dmesg."""

from __future__ import annotations

from kodo.diagnose.rules import Rule

RULES = [
    Rule(
        "gpu_oom",
        "CUDA out of memory",
        r"CUDA out of memory\.(?: Tried to allocate (?P<alloc>[\d.]+ [KMGT]?i?B))?"
        r"(?:.{0,400}?GPU (?P<gpu>\d+) has a total capacity of (?P<total>[\d.]+ [KMGT]?i?B))?",
    ),
    Rule("gpu_oom", "CUDA error: out of memory"),
    Rule("gpu_oom", "CUBLAS_STATUS_ALLOC_FAILED"),
    Rule(
        "cuda_error",
        "CUDA error: ",
        r"CUDA error: (?P<what>an illegal memory access was encountered|"
        r"unspecified launch failure|device-side assert triggered|"
        r"misaligned address|"
        r"an illegal instruction was encountered|unknown error|"
        r"the launch timed out and was terminated)",
    ),
    Rule(
        "cuda_error",
        "cuda runtime error",
        r"cuda runtime error \((?P<code>\d+)\) : (?P<what>[^\n]{1,120})",
    ),
    Rule("gpu_hw", "uncorrectable ECC error"),
    Rule("gpu_hw", "ECC_UNCORRECTABLE"),
    Rule("gpu_hw", "double bit", r"(?i)double.bit.{0,20}ECC"),
    Rule("gpu_hw", "fallen off the bus"),
    Rule("gpu_hw", "Row remapping failure"),
    Rule(
        "xid",
        "NVRM: Xid",
        r"NVRM: Xid \((?P<pci>[^)]*)\): (?P<xid>\d+)(?:, pid=(?P<pid>\S+?),)?(?P<msg>.{0,120})",
    ),
]
