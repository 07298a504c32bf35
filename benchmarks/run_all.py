"""Runs every ``benchmarks/bench_*.py`` in turn (each has a ``main()``) and prints its figures.

Usage: ``.venv/bin/python benchmarks/run_all.py [NAME ...]`` (names like ``startup``).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main() -> None:
    here = Path(__file__).parent
    wanted = set(sys.argv[1:])
    for path in sorted(here.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        print(f"== {name}", flush=True)
        runpy.run_path(str(path), run_name="__main__")


if __name__ == "__main__":
    main()
