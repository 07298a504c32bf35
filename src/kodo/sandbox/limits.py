"""Resource limits from ``config.limits``, applied so they actually bite.

memory_mb, cpu_seconds and file_size_mb become RLIMIT_AS, RLIMIT_CPU and RLIMIT_FSIZE on each
command. tmp_size_mb and shm_size_mb cap the sandbox's in-memory /tmp and /dev/shm, which no
rlimit counts (default: a quarter of the memory each, see ``tmpfs_sizes``). max_processes
becomes a pids cgroup around the whole sandbox where kodo may create one (cgroup v2 or the v1
pids controller; usually when kodo runs as root), because the kernel exempts host uid 0 from
RLIMIT_NPROC and our user namespace maps the sandbox to kodo's own uid. RLIMIT_NPROC is set too,
which is what limits processes for an ordinary user.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from pathlib import Path

from kodo.config import Limits

_SANDBOX_OVERHEAD = 4  # bwrap's two processes, the supervisor, and a spare
_counter = itertools.count(1)


def rlimits(limits: Limits) -> dict[str, int]:
    out: dict[str, int] = {}
    if limits.memory_mb:
        out["as"] = limits.memory_mb * 1024 * 1024
    if limits.cpu_seconds:
        out["cpu"] = limits.cpu_seconds
    if limits.max_processes:
        out["nproc"] = limits.max_processes
    if limits.file_size_mb:
        out["fsize"] = limits.file_size_mb * 1024 * 1024
    return out


def total_memory() -> int:
    """Physical memory, or less where kodo's own cgroup caps it (a container): tmpfs pages are
    charged there, so filling /tmp past that limit would get kodo itself killed."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit_files = [Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")]
    with contextlib.suppress(OSError, IndexError):
        own = Path("/proc/self/cgroup").read_text().splitlines()[0].split(":", 2)[2]
        limit_files.append(Path("/sys/fs/cgroup") / own.lstrip("/") / "memory.max")
    for path in limit_files:
        with contextlib.suppress(OSError):
            value = path.read_text().strip()
            if value.isdigit():
                total = min(total, int(value))
    return total


def tmpfs_sizes(limits: Limits) -> tuple[int, int]:
    """Bytes for the sandbox's /tmp and /dev/shm. A quarter of the memory each by default:
    together they cannot take more than half, yet a PyTorch DataLoader (which passes batches
    through /dev/shm) has room."""
    quarter = total_memory() // 4
    tmp = limits.tmp_size_mb * 1024 * 1024 if limits.tmp_size_mb else quarter
    shm = limits.shm_size_mb * 1024 * 1024 if limits.shm_size_mb else quarter
    return tmp, shm


def _candidates() -> list[Path]:
    root = Path("/sys/fs/cgroup")
    v1 = root / "pids"
    if v1.is_dir():
        return [v1]
    if (root / "cgroup.controllers").is_file():
        own = Path("/proc/self/cgroup").read_text().splitlines()[0].split(":", 2)[2]
        return [root / own.lstrip("/")]
    return []


class PidsCgroup:
    """A pids cgroup that the sandbox process joins at birth (``enter`` runs in the child)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, max_processes: int) -> PidsCgroup | None:
        for parent in _candidates():
            path = parent / f"kodo-{os.getpid()}-{next(_counter)}"
            try:
                path.mkdir()
                (path / "pids.max").write_text(str(max_processes + _SANDBOX_OVERHEAD))
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            return cls(path)
        return None

    def enter(self) -> None:
        with open(self.path / "cgroup.procs", "w") as f:
            f.write(str(os.getpid()))

    def remove(self) -> None:
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)
