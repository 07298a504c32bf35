"""The task file is checked before any work, and every problem names its line."""

from __future__ import annotations

import json
import subprocess
import sys
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
    (tmp_path / "src").mkdir()
    a, b = load_tasks(path)
    assert a.files == str(tmp_path / "src")
    assert b.repo == "https://example.com/x.git"
    assert (b.resources.cpus, b.resources.gpus, b.resources.memory_mb) == (2, 1, 512)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "expected a JSON object {...}, got a list"),
        ('{"id": "x", "files": "d"}', "prompt: required, but missing"),
        ('{"id": "x", "prompt": "p"}', 'files: give the starting workspace: "files"'),
        ('{"id": "x", "prompt": "p", "files": "d", "repo": "r"}', 'files: give "files" or "repo"'),
        ('{"id": "x", "prompt": "p", "files": "d", "ref": "main"}', 'ref: needs "repo"'),
        ('{"id": "x", "prompt": "p", "files": "d", "promt": 1}', "promt: unknown field (did"),
        ('{"id": "x", "prompt": "p", "files": "d", "colour": 1}', "colour: unknown field (known"),
        ('{"id": "../up", "prompt": "p", "files": "d"}', "id: use only letters, digits"),
        ('{"id": "x", "prompt": 3, "files": "d"}', "prompt: must be a string, not a number"),
        ('{"id": "x", "prompt": "p", "files": "d", "max_turns": 0}', "max_turns: must be more"),
        ('{"id": "x", "prompt": "p", "files": "d", "done_when": "acc ~ 1"}', "done_when: --done"),
        ('{"id": "x", "prompt": "p", "files": "d", "timeout_s": "1h"}', "timeout_s: must be a num"),
        ('{"id": "x", "prompt": "p", "files": "d", "resources": 2}', "resources: must be an obj"),
        ('{"id": "x", "prompt": "p", "files": "d", "resources": {"cpu": 2}}', "resources.cpu: "),
        ('{"id": "x", "prompt": "p", "files": "nowhere"}', "files: no such directory: "),
        ('{"id": "x", "prompt": "p", "files": "f.txt"}', "files: "),
        ('{"id": "x", "prompt": "p", "files": "d", "hidden_tests": "gone"}', "hidden_tests: no"),
        ('{"id": "x", "prompt": "p", "repo": "no-such-repo"}', "repo: no such path: "),
        ('{"id": "a", "prompt": "p", "files": "d"}', "id: 'a' is already used on line 1"),
    ],
)
def test_bad_line_is_named_in_plain_words(tmp_path: Path, line: str, problem: str) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "f.txt").write_text("")
    path = write(tmp_path, json.dumps({"id": "a", "prompt": "p", "files": "d"}), line)
    with pytest.raises(TaskFileError) as err:
        load_tasks(path)
    assert str(err.value).startswith(f"{path}:2: {problem}")
    assert "\n" not in str(err.value)
    for pydantic_words in ("Field required", "Extra inputs", "String should", "Value error"):
        assert pydantic_words not in str(err.value)


def test_every_line_is_checked_before_anything_runs(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        json.dumps({"id": "a", "prompt": "p", "files": "missing-a"}),
        json.dumps({"id": "b", "prompt": "p", "files": "missing-b"}),
        "{oops",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "kodo", "batch", str(path), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "kodo batch: nothing was run; fix these first:",
        f"kodo batch: {path}:1: files: no such directory: {tmp_path / 'missing-a'}",
        f"kodo batch: {path}:2: files: no such directory: {tmp_path / 'missing-b'}",
        f"kodo batch: {path}:3: not valid JSON: Expecting property name enclosed in double "
        "quotes at column 2",
    ]
    assert not (tmp_path / "out").exists()


def test_missing_or_empty_file(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError, match="cannot read"):
        load_tasks(tmp_path / "nope.jsonl")
    with pytest.raises(TaskFileError, match="no tasks"):
        load_tasks(write(tmp_path, "# only a comment"))
