"""The task file: one JSON object per line, checked up front so a typo fails before any work."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails

from kodo.jobs.metrics import Condition


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
    # a directory copied as the starting workspace; checked even when absent: one source needed
    files: str | None = Field(default=None, validate_default=True)
    setup: str | None = None
    test: str | None = None
    hidden_tests: str | None = None  # copied into the workspace only after the agent finished
    solution: str | None = None  # a reference solution, overlaid instead of running the agent
    model: str | None = None
    provider: str | None = None
    base_url: str | None = None
    config: list[str] = Field(default_factory=list)  # extra ``-c KEY=VALUE`` for kodo exec
    max_turns: int | None = Field(default=None, gt=0)
    done_when: str | None = None  # e.g. "val_acc >= 0.9": measured from what the run reported
    timeout_s: float = Field(default=1800.0, gt=0)
    resources: Resources = Field(default_factory=Resources)

    @field_validator("done_when")
    @classmethod
    def _condition(cls, text: str | None) -> str | None:
        if text is not None:
            Condition.parse(text)  # a ConditionError (a ValueError) says what is expected
        return text

    @field_validator("ref")
    @classmethod
    def _ref_needs_repo(cls, ref: str | None, info: ValidationInfo) -> str | None:
        if ref is not None and info.data.get("repo") is None and "repo" in info.data:
            raise ValueError('needs "repo": it names a branch, tag or commit of that repository')
        return ref

    @field_validator("files")
    @classmethod
    def _one_source(cls, files: str | None, info: ValidationInfo) -> str | None:
        if "repo" not in info.data:
            return files  # "repo" itself is wrong, and says so
        repo = info.data["repo"]
        if files is None and repo is None:
            raise ValueError(
                'give the starting workspace: "files" (a directory) or "repo" (a git URL or path)'
            )
        if files is not None and repo is not None:
            raise ValueError('give "files" or "repo", not both')
        return files

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


MAX_PROBLEMS = 20  # shown at once; the rest are counted
_ID_RULE = "use only letters, digits, '.', '_' and '-', starting with a letter or digit"
_RESOURCES_EXAMPLE = '{"cpus": 1, "gpus": 0, "memory_mb": 4096}'


def _json_kind(value: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "a string"}
    names |= {list: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _plain(err: ErrorDetails) -> str:
    """One pydantic error as ``field: problem`` in plain words."""
    loc = [str(p) for p in err["loc"]]
    field = ".".join(loc)
    kind, ctx, got = err["type"], err.get("ctx", {}), err.get("input")
    if kind == "missing":
        return f"{field}: required, but missing"
    if kind == "extra_forbidden":
        model = Resources if loc[0] == "resources" else Task
        known = list(model.model_fields)
        near = difflib.get_close_matches(loc[-1], known, n=1)
        hint = f"did you mean {near[0]!r}?" if near else f"known fields: {', '.join(known)}"
        return f"{field}: unknown field ({hint})"
    problem = {
        "string_pattern_mismatch": _ID_RULE,
        "string_too_short": "must not be empty",
        "string_type": f"must be a string, not {_json_kind(got)}",
        "int_type": f"must be a whole number, not {_json_kind(got)}",
        "int_parsing": f"must be a whole number, not {_json_kind(got)}",
        "int_from_float": "must be a whole number",
        "float_type": f"must be a number, not {_json_kind(got)}",
        "float_parsing": f"must be a number, not {_json_kind(got)}",
        "greater_than": f"must be more than {ctx.get('gt')}",
        "list_type": f"must be a list of strings, not {_json_kind(got)}",
        "model_type": f"must be an object such as {_RESOURCES_EXAMPLE}",
        "value_error": str(ctx.get("error", "")),
    }.get(kind, err["msg"])
    return f"{field}: {problem}" if field else problem


def problems_of(exc: ValidationError) -> list[str]:
    return [_plain(err) for err in exc.errors()]


def _missing_paths(task: Task) -> list[str]:
    """Local paths a task names that are not there, so the batch stops before it starts."""
    out = []
    for name in ("files", "hidden_tests", "solution", "repo"):
        value = getattr(task, name)
        if value is None or (name == "repo" and _is_url(value)):
            continue
        path = Path(value)
        if not path.exists():
            out.append(f"{name}: no such {'directory' if name != 'repo' else 'path'}: {path}")
        elif name != "repo" and not path.is_dir():
            out.append(f"{name}: {path} is a file; give a directory")
    return out


def check_task(data: dict, base: Path) -> tuple[Task | None, list[str]]:
    """The task with its paths resolved against ``base``, or None, and every problem found."""
    try:
        task = Task.model_validate(data).resolved(base)
    except ValidationError as exc:
        return None, problems_of(exc)
    return task, _missing_paths(task)


def load_tasks(path: Path) -> list[Task]:
    """Reads and checks every line, and reports every problem found, ``file:line: field:
    problem``, before anything runs; blank lines and ``#`` comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TaskFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise TaskFileError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(data, dict):
            problems.append(f"{where}: expected a JSON object {{...}}, got {_json_kind(data)}")
            continue
        task, found = check_task(data, path.parent)
        problems += [f"{where}: {p}" for p in found]
        if task is None:
            continue
        if task.id in seen:
            problems.append(f"{where}: id: {task.id!r} is already used on line {seen[task.id]}")
        seen.setdefault(task.id, number)
        tasks.append(task)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
        raise TaskFileError("\n".join(shown))
    if not tasks:
        raise TaskFileError(f"{path}: no tasks")
    return tasks
