"""``kodo sessions``: the recorded sessions, newest first."""

from __future__ import annotations

import argparse
from datetime import datetime

from kodo.session.store import all_session_files, summarize


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    files = all_session_files()[-args.limit :][::-1]
    console = Console()
    if not files:
        console.print('No sessions yet. Start one with: kodo exec "your task"')
        return 0
    table = Table("id", "started", "status", "model", "prompt", box=None)
    for path in files:
        s = summarize(path)
        started = datetime.fromtimestamp(s.started).strftime("%Y-%m-%d %H:%M")
        prompt = s.first_prompt.splitlines()[0][:60] if s.first_prompt else ""
        table.add_row(s.session_id[:8], started, s.status, s.model, prompt)
    console.print(table)
    return 0
