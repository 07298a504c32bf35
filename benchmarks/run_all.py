"""Runs every ``benchmarks/bench_*.py`` in turn (each has a ``main()``) and prints its figures.

Usage: ``.venv/bin/python benchmarks/run_all.py [NAME ...]`` (names like ``startup``). Slow
ones (``local_model``: an hour with the embedded model) run only when named.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

SLOW = {"local_model"}


def main() -> int:
    here = Path(__file__).parent
    wanted = set(sys.argv[1:])
    failed: list[str] = []
    for path in sorted(here.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if name not in wanted and (wanted or name in SLOW):
            continue
        print(f"== {name}", flush=True)
        sys.argv = [str(path)]  # each benchmark with its own defaults, not our arguments
        try:
            runpy.run_path(str(path), run_name="__main__")
        except SystemExit as exc:  # a benchmark's own exit status ends only that benchmark
            if exc.code not in (None, 0):
                failed.append(name)
    if failed:
        print(f"== failed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
