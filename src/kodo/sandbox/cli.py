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
    from kodo.sandbox import plans
    from kodo.sandbox.base import SandboxUnavailable
    from kodo.sandbox.host_reads import Recording
    from kodo.sandbox.once import can_run_in_place, in_place_plan

    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        print("kodo sandbox: no command given (kodo sandbox -- CMD ARGS...)", file=sys.stderr)
        return EXIT_USAGE
    workspace = Path(args.cd).resolve() if args.cd else Path.cwd()
    flags = {"sandbox_mode": args.sandbox, "network": "on" if args.network else None}
    try:
        with Recording() as reads:
            config = load_config(workspace, flags=flags)
            warning = untrusted_warning(workspace)
            plan = in_place_plan(config, workspace) if can_run_in_place(config) else None
        if warning:
            print(warning, file=sys.stderr)
        if plan is not None:
            if not (args.cd or args.sandbox or args.network):  # what a later run may reuse
                plans.remember(reads, warning, plan)
            problem = plans.become(plan, cmd)
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
