"""Command-line options shared by ``kodo batch`` and ``kodo eval``; argparse only, so building
the parser stays cheap."""

from __future__ import annotations

import argparse
import os


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--out", metavar="DIR", help="output directory (re-use it to resume)")
    p.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="tasks at once (default: cores)"
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="auto",
        metavar="ADDRESS",
        help="run as Ray tasks: 'auto' (this node's cluster, the default), an address such as "
        "ray://head:10001, or 'local' to start a private Ray here",
    )
    p.add_argument("-m", "--model", help="model for tasks that name none")
    p.add_argument("--provider", choices=["openai", "openai-chat", "anthropic", "ollama", "local"])
    p.add_argument("--max-turns", type=int, help="turn cap for tasks that set none")
    p.add_argument("--base-url", help="model server URL for tasks that name none")
    p.add_argument("--retry-failed", action="store_true", help="re-run recorded failures too")
    p.add_argument(
        "--keep-workspaces", action="store_true", help="keep each task's workspace (local only)"
    )
