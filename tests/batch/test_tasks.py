"""The task file is checked before any work, and every problem names its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kodo.batch.tasks import TaskFileError, load_tasks


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_valid_file_resolves_paths_against_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# a comment",
        json.dumps({"id": "a", "prompt": "p", "files": "src", "test": "true"}),
        "",
        json.dumps(
            {
                "id": "b",
                "prompt": "p",
                "repo": "https://example.com/x.git",
                "ref": "v1",
                "resources": {"cpus": 2, "gpus": 1, "memory_mb": 512},
            }
        ),
    )
    a, b = load_tasks(path)
    assert a.files == str(tmp_path / "src")
    assert b.repo == "https://example.com/x.git"
    assert (b.resources.cpus, b.resources.gpus, b.resources.memory_mb) == (2, 1, 512)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "line 2: not valid JSON"),
        ("[1, 2]", "line 2: expected a JSON object, got list"),
        ('{"id": "x", "files": "d"}', "line 2: prompt: Field required"),
        ('{"id": "x", "prompt": "p"}', "line 2: give exactly one workspace source"),
        ('{"id": "x", "prompt": "p", "files": "d", "repo": "r"}', "line 2: give exactly one"),
        ('{"id": "x", "prompt": "p", "files": "d", "ref": "main"}', "line 2: 'ref' needs 'repo'"),
        ('{"id": "x", "prompt": "p", "files": "d", "colour": 1}', "line 2: colour: Extra inputs"),
        ('{"id": "../up", "prompt": "p", "files": "d"}', "line 2: id: String should match"),
        ('{"id": "a", "prompt": "p", "files": "d"}', "line 2: duplicate id 'a' (first on line 1)"),
    ],
)
def test_bad_line_is_named(tmp_path: Path, line: str, problem: str) -> None:
    path = write(tmp_path, json.dumps({"id": "a", "prompt": "p", "files": "d"}), line)
    with pytest.raises(TaskFileError) as err:
        load_tasks(path)
    assert f"{path}:{problem.split(':', 1)[0].removeprefix('line ')}:" in str(err.value)
    assert problem.split(": ", 1)[1] in str(err.value)


def test_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError, match="cannot read"):
        load_tasks(tmp_path / "nope.jsonl")
    with pytest.raises(TaskFileError, match="no tasks"):
        load_tasks(write(tmp_path, "# only a comment"))
