"""Resource limits from ``config.limits``, applied so they actually bite.

memory_mb and cpu_seconds become RLIMIT_AS and RLIMIT_CPU on each command. max_processes
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
    return out


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
