"""``kodo sandbox -- CMD ARGS...``: run one command under the sandbox policy, attached to the
terminal, and exit with its status. Useful to check what the model's commands can and cannot do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kodo.config import ConfigError, load_config, untrusted_warning

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_STARTED = 127


def run(args: argparse.Namespace) -> int:
    from kodo.sandbox.base import SandboxUnavailable
    from kodo.sandbox.once import can_run_in_place, run_in_place

    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        print("kodo sandbox: no command given (kodo sandbox -- CMD ARGS...)", file=sys.stderr)
        return EXIT_USAGE
    workspace = Path(args.cd).resolve() if args.cd else Path.cwd()
    flags = {"sandbox_mode": args.sandbox, "network": "on" if args.network else None}
    try:
        config = load_config(workspace, flags=flags)
        if warning := untrusted_warning(workspace):
            print(warning, file=sys.stderr)
        if can_run_in_place(config):
            sys.stdout.flush()
            sys.stderr.flush()
            problem = run_in_place(config, workspace, cmd)
            print(f"kodo: could not start the command: {problem}", file=sys.stderr)
            return EXIT_NOT_STARTED
        from kodo.sandbox.factory import create_executor

        executor = create_executor(config, workspace)
    except (ConfigError, SandboxUnavailable) as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        return executor.run_attached(cmd, cwd=workspace)
    finally:
        executor.close()
