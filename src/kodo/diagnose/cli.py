"""``kodo diagnose PATHS... [--json]``: exit 0 with a diagnosis, 2 when no input is readable."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TextIO

from kodo.diagnose.api import diagnose_paths
from kodo.diagnose.reader import InputError
from kodo.diagnose.report import print_report

EXIT_OK, EXIT_INPUT = 0, 2
PROGRESS_AFTER_S = 1.0  # small inputs finish silently
PROGRESS_EVERY_S = 0.25


class ProgressLine:
    """Bytes read and rate on one rewritten stderr line, shown only once reading is slow."""

    def __init__(self, stream: TextIO, now: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.now = now
        self.start = self.now()
        self.last = 0.0
        self.total = 0
        self.shown = False

    def __call__(self, n: int) -> None:
        self.total += n
        t = self.now()
        elapsed = t - self.start
        if elapsed < PROGRESS_AFTER_S or t - self.last < PROGRESS_EVERY_S:
            return
        self.last = t
        self.shown = True
        mb = self.total / 1e6
        self.stream.write(f"\rkodo diagnose: read {mb:,.0f} MB ({mb / elapsed:,.0f} MB/s)")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    progress = None if args.json or not sys.stderr.isatty() else ProgressLine(sys.stderr)
    try:
        diagnosis = diagnose_paths(list(args.paths), progress)
    except InputError as exc:
        print(f"kodo diagnose: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    finally:
        if progress is not None:
            progress.close()
    for problem in diagnosis.problems:
        print(f"kodo diagnose: warning: {problem}", file=sys.stderr)
    if args.json:
        sys.stdout.write(diagnosis.to_json() + "\n")
    else:
        print_report(diagnosis)
    return EXIT_OK
