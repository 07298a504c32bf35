"""Throughput of ``kodo diagnose`` on a large synthetic multi-rank log.

Usage: python benchmarks/bench_diagnose.py [SIZE_MB]   (default 200)
Prints MB/s, the extrapolated time for 1 GB, and peak RSS (memory must stay bounded).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

NOISE = (
    "[rank{r}]:[I1124 23:{m:02d}:{s:02d}.000000 train.py:211] step {i} loss 1.{i:04d} "
    "lr 3.0e-04 tokens/s 182331 grad_norm 0.{i:03d}\n",
    "gpu-a0{h}:{pid}:{pid} [{d}] NCCL INFO Channel 0{d}/32 : {r}[{d}] -> {n}[{d}] [send] "
    "via NET/IB/0/GDRDMA\n",
    "epoch 3 iter {i} data_time 0.012 batch_time 0.412 mem 61234M\n",
)
WATCHDOG = (
    "[rank{r}]:[E1124 23:59:01.000000 ProcessGroupNCCL.cpp:616] [Rank {r}] Watchdog caught "
    "collective operation timeout: WorkNCCL(SeqNum=90001, OpType=ALLREDUCE, NumelIn=8, "
    "NumelOut=8, Timeout(ms)=600000) ran for 600001 milliseconds before timing out.\n"
)


def generate(path: Path, size_mb: int) -> None:
    target = size_mb * 1024 * 1024
    written = 0
    i = 0
    with path.open("w") as fh:
        while written < target:
            block = []
            for _ in range(1000):
                r = i % 16
                tmpl = NOISE[i % len(NOISE)]
                block.append(
                    tmpl.format(
                        r=r,
                        m=(i // 60) % 60,
                        s=i % 60,
                        i=i % 10000,
                        h=r // 8,
                        pid=1000 + r,
                        d=r % 8,
                        n=(r + 1) % 16,
                    )
                )
                i += 1
            text = "".join(block)
            fh.write(text)
            written += len(text)
        fh.write("".join(WATCHDOG.format(r=r) for r in range(16) if r != 9))


def main(argv: list[str] | None = None) -> int:
    from kodo.diagnose import diagnose_paths

    args = sys.argv[1:] if argv is None else argv
    size_mb = int(args[0]) if args else 200
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "big_rank_all.log"
        generate(log, size_mb)
        actual_mb = log.stat().st_size / (1024 * 1024)
        start = time.perf_counter()
        d = diagnose_paths([str(log)])
        elapsed = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = actual_mb / elapsed
    print(
        f"scanned {actual_mb:.0f} MB ({d.lines_scanned} lines) in {elapsed:.1f}s: {rate:.0f} MB/s"
    )
    print(f"extrapolated 1 GB: {1024 / rate:.0f}s; peak RSS {rss_mb:.0f} MB")
    print(f"verdict: {d.verdict[:100]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
