"""``kodo sessions``: the recorded sessions, newest first, with where each ran: a table on a
terminal, tab-separated lines for a pipe."""

from __future__ import annotations

import argparse
from datetime import datetime

from kodo.session.store import all_rollouts, recent_rollouts


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from kodo.ui.render import make_console
    from kodo.ui.safe_text import visible

    console: Console = make_console()
    shown = recent_rollouts(args.limit, everything=args.all)
    if not shown:
        if all_rollouts():
            console.print("No session reached the model yet (`kodo sessions --all` lists them).")
        else:
            console.print('No sessions yet. Start one with: kodo exec "your task"')
        return 0
    columns = ("id", "started", "status", "model", "directory", "prompt")
    rows: list[list[str]] = []
    for s in shown:
        started = datetime.fromtimestamp(s.started).strftime("%Y-%m-%d %H:%M")
        prompt = s.first_prompt.splitlines()[0][:60] if s.first_prompt else ""
        cells = (s.session_id[:8], started, s.status, s.model, s.cwd, prompt)
        rows.append([visible(cell, newlines=False).replace("\t", " ") for cell in cells])
    if not console.is_terminal:
        for row in [list(columns), *rows]:
            print("\t".join(row))  # not through rich, which would expand the tabs
        return 0
    table = Table(*columns, box=None)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)
    hidden = "" if args.all else " · sessions the model never answered: --all"
    console.print(f"[dim]resume one with: kodo resume ID{hidden}[/]", highlight=False)
    return 0
