"""How long ``kodo --help`` takes, start to exit: the cost of every CLI invocation."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 20


def main() -> None:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kodo", "--help"], check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"kodo --help: median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms ({RUNS} runs)")


if __name__ == "__main__":
    main()
