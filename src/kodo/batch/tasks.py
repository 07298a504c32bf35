"""The task file: one JSON object per line, checked up front so a typo fails before any work."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class TaskFileError(Exception):
    """A TASKS.jsonl that cannot be run; the message names the line and the problem."""


class Resources(BaseModel):
    """What one task asks of a Ray node; locally only ``--workers`` limits concurrency."""

    model_config = ConfigDict(extra="forbid")

    cpus: float = 1.0
    gpus: float = 0.0
    memory_mb: int | None = None


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    prompt: str = Field(min_length=1)
    repo: str | None = None  # a local path or a git URL
    ref: str | None = None
    files: str | None = None  # a directory copied as the starting workspace
    setup: str | None = None
    test: str | None = None
    hidden_tests: str | None = None  # copied into the workspace only after the agent finished
    solution: str | None = None  # a reference solution, overlaid instead of running the agent
    model: str | None = None
    provider: str | None = None
    base_url: str | None = None
    config: list[str] = Field(default_factory=list)  # extra ``-c KEY=VALUE`` for kodo exec
    max_turns: int | None = Field(default=None, gt=0)
    timeout_s: float = Field(default=1800.0, gt=0)
    resources: Resources = Field(default_factory=Resources)

    @model_validator(mode="after")
    def _one_source(self) -> Task:
        if (self.repo is None) == (self.files is None):
            raise ValueError("give exactly one workspace source: 'repo' or 'files'")
        if self.ref is not None and self.repo is None:
            raise ValueError("'ref' needs 'repo'")
        return self

    def resolved(self, base: Path) -> Task:
        """Relative local paths are taken relative to the task file, not the caller's cwd."""
        changes: dict[str, str] = {}
        for name in ("files", "hidden_tests", "solution", "repo"):
            value = getattr(self, name)
            if value is None or (name == "repo" and _is_url(value)):
                continue
            changes[name] = str((base / value).expanduser().resolve())
        return self.model_copy(update=changes)


def _is_url(source: str) -> bool:
    return "://" in source or source.startswith("git@")


def _problem(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)


def load_tasks(path: Path) -> list[Task]:
    """Reads and validates every line; blank lines and ``#`` comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaskFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskFileError(f"{path}:{number}: not valid JSON: {exc.msg}") from exc
        if not isinstance(data, dict):
            kind = type(data).__name__
            raise TaskFileError(f"{path}:{number}: expected a JSON object, got {kind}")
        try:
            task = Task.model_validate(data)
        except ValidationError as exc:
            raise TaskFileError(f"{path}:{number}: {_problem(exc)}") from exc
        if task.id in seen:
            raise TaskFileError(
                f"{path}:{number}: duplicate id {task.id!r} (first on line {seen[task.id]})"
            )
        seen[task.id] = number
        tasks.append(task.resolved(path.parent))
    if not tasks:
        raise TaskFileError(f"{path}: no tasks")
    return tasks
