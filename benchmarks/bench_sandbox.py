"""What the session sandbox adds to a command: the round trip of ``true`` through a warm
BwrapExecutor against a bare ``subprocess.run(["true"])``.

Run: ``.venv/bin/python benchmarks/bench_sandbox.py [RUNS]``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kodo.config import Config
from kodo.sandbox.bwrap import BwrapExecutor


def _timings(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return sorted(out)


def _p95(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.95))]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        started = time.perf_counter()
        executor = BwrapExecutor(Config(), workspace)
        startup_ms = (time.perf_counter() - started) * 1000
        try:
            for _ in range(10):  # warm up both paths
                executor.run(["true"], cwd=workspace, timeout_s=10, max_output_bytes=1000)
                subprocess.run(["true"], check=True)
            box = _timings(
                lambda: executor.run(["true"], cwd=workspace, timeout_s=10, max_output_bytes=1000),
                runs,
            )
            bare = _timings(lambda: subprocess.run(["true"], check=True), runs)
        finally:
            executor.close()
    print(f"runs: {runs}; sandbox startup: {startup_ms:.1f} ms")
    print(f"bare subprocess.run: median {statistics.median(bare):.2f} ms, p95 {_p95(bare):.2f} ms")
    print(f"warm sandbox run:    median {statistics.median(box):.2f} ms, p95 {_p95(box):.2f} ms")
    print(
        f"added by the sandbox: median {statistics.median(box) - statistics.median(bare):.2f} ms, "
        f"p95 {_p95(box) - _p95(bare):.2f} ms"
    )


if __name__ == "__main__":
    main()
