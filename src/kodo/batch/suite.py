"""An evaluation suite on disk, turned into batch tasks.

Layout: ``SUITE/<task>/prompt.md``, ``files/`` (the starting workspace), ``hidden/`` (tests
overlaid only after the agent finished), ``solution/`` (reference files for ``--reference``),
and optionally ``task.json`` with any other task field (setup, test, timeout_s, resources)."""

from __future__ import annotations

import json
from pathlib import Path

from kodo.batch.tasks import Task, TaskFileError, check_task

HIDDEN_TEST = "python -m pytest -q -p no:cacheprovider -c /dev/null --rootdir . test_hidden_*.py"


def load_suite(suite: Path) -> list[Task]:
    if not suite.is_dir():
        raise TaskFileError(f"{suite}: not a suite directory")
    tasks = []
    for d in sorted(p for p in suite.iterdir() if p.is_dir() and not p.name.startswith(".")):
        prompt = d / "prompt.md"
        if not prompt.is_file():
            raise TaskFileError(f"{d}: no prompt.md")
        fields: dict[str, object] = {
            "id": d.name,
            "prompt": prompt.read_text(encoding="utf-8"),
            "files": str((d / "files").resolve()),
            "test": HIDDEN_TEST,
        }
        for name, key in (("hidden", "hidden_tests"), ("solution", "solution")):
            if (d / name).is_dir():
                fields[key] = str((d / name).resolve())
        extra = d / "task.json"
        if extra.is_file():
            try:
                more = json.loads(extra.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise TaskFileError(f"{extra}: not valid JSON: {exc.msg}") from exc
            if not isinstance(more, dict):
                raise TaskFileError(f"{extra}: expected a JSON object {{...}}")
            fields.update(more)
        task, problems = check_task(fields, d)
        if problems:
            where = extra if extra.is_file() else d
            raise TaskFileError("\n".join(f"{where}: {problem}" for problem in problems))
        if task is not None:
            tasks.append(task)
    if not tasks:
        raise TaskFileError(f"{suite}: no tasks (expected one folder per task)")
    return tasks
