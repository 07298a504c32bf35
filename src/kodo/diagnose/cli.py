"""``kodo diagnose PATHS... [--json]``: exit 0 with a diagnosis, 2 on unreadable input."""

from __future__ import annotations

import argparse
import sys

from kodo.diagnose.api import diagnose_paths
from kodo.diagnose.reader import InputError
from kodo.diagnose.report import print_report

EXIT_OK, EXIT_INPUT = 0, 2


def run(args: argparse.Namespace) -> int:
    try:
        diagnosis = diagnose_paths(list(args.paths))
    except InputError as exc:
        print(f"kodo diagnose: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    if args.json:
        sys.stdout.write(diagnosis.to_json() + "\n")
    else:
        print_report(diagnosis)
    return EXIT_OK
