"""Accuracy of ``kodo diagnose`` on real failure logs from public threads.

Usage: python benchmarks/bench_diagnose_real.py [CORPUS_DIR]
       (default tests/data/diagnose/real)
Prints class top-1 and culprit accuracy for all cases, the development part and the held-out
part, then every miss; exits 1 when the goal is not met.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1] / "tests" / "data" / "diagnose" / "real"


def main(argv: list[str] | None = None) -> int:
    from kodo.diagnose.corpus import CLASS_GOAL, CULPRIT_GOAL, load_cases, report, run_case, score

    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else DEFAULT
    start = time.perf_counter()
    outcomes = [run_case(c) for c in load_cases(root)]
    print(report(outcomes))
    print(f"{len(outcomes)} cases in {time.perf_counter() - start:.1f}s")
    total = score(outcomes)
    return 0 if total.class_rate >= CLASS_GOAL and total.culprit_rate >= CULPRIT_GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
