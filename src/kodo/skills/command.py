"""``kodo skills``: the skills this project would offer the model, and any that are broken."""

from __future__ import annotations

import argparse
from pathlib import Path

from kodo.skills import discover_skills


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    skills, problems = discover_skills(Path(args.cd or ".").resolve())
    table = Table("name", "source", "description", box=None)
    for skill in skills:
        table.add_row(skill.name, skill.source, skill.description)
    console.print(table)
    for problem in problems:
        console.print(f"[yellow]skipped:[/] {problem}")
    return 0
