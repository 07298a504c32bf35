"""Codex's own apply-patch scenarios (codex-rs/apply-patch/tests/fixtures/scenarios in
openai/codex), restated here as facts about the format: the files before, the patch, and the
files and directories Codex leaves. Each runs through the real ``kodo apply-patch`` process, as
Codex runs its ``apply_patch`` binary. Where kodo deliberately differs (docs/tools.md says why),
the scenario names kodo's own outcome and the words that tell the model what to send instead."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

KODO = [sys.executable, "-m", "kodo"]
BEGIN, END = "*** Begin Patch\n", "*** End Patch\n"


@dataclass(frozen=True)
class Scenario:
    name: str
    given: dict[str, str]
    patch: str
    codex: dict[str, str]  # the files Codex leaves (their directories are implied)
    kodo: dict[str, str] | None = None  # where kodo deliberately differs
    says: tuple[str, ...] = field(default_factory=tuple)  # in kodo's output


STABLE = {"foo.txt": "stable\n"}

SCENARIOS = [
    Scenario(
        "001_add_file",
        {},
        BEGIN + "*** Add File: bar.md\n+This is a new file\n" + END,
        {"bar.md": "This is a new file\n"},
    ),
    Scenario(
        "002_multiple_operations",
        {"delete.txt": "obsolete\n", "modify.txt": "line1\nline2\n"},
        BEGIN + "*** Add File: nested/new.txt\n+created\n*** Delete File: delete.txt\n"
        "*** Update File: modify.txt\n@@\n-line2\n+changed\n" + END,
        {"modify.txt": "line1\nchanged\n", "nested/new.txt": "created\n"},
    ),
    Scenario(
        "003_multiple_chunks",
        {"multi.txt": "line1\nline2\nline3\nline4\n"},
        BEGIN + "*** Update File: multi.txt\n@@\n-line2\n+changed2\n@@\n-line4\n+changed4\n" + END,
        {"multi.txt": "line1\nchanged2\nline3\nchanged4\n"},
    ),
    Scenario(
        "004_move_to_new_directory",
        {"old/name.txt": "old content\n", "old/other.txt": "unrelated file\n"},
        BEGIN + "*** Update File: old/name.txt\n*** Move to: renamed/dir/name.txt\n@@\n"
        "-old content\n+new content\n" + END,
        {"old/other.txt": "unrelated file\n", "renamed/dir/name.txt": "new content\n"},
    ),
    Scenario("005_rejects_empty_patch", STABLE, BEGIN + END, STABLE),
    Scenario(
        "006_rejects_missing_context",
        {"modify.txt": "line1\nline2\n"},
        BEGIN + "*** Update File: modify.txt\n@@\n-missing\n+changed\n" + END,
        {"modify.txt": "line1\nline2\n"},
    ),
    Scenario(
        "007_rejects_missing_file_delete",
        STABLE,
        BEGIN + "*** Delete File: missing.txt\n" + END,
        STABLE,
    ),
    Scenario(
        "008_rejects_empty_update_hunk",
        STABLE,
        BEGIN + "*** Update File: foo.txt\n" + END,
        STABLE,
    ),
    Scenario(
        "009_requires_existing_file_for_update",
        STABLE,
        BEGIN + "*** Update File: missing.txt\n@@\n-old\n+new\n" + END,
        STABLE,
    ),
    Scenario(
        "010_move_overwrites_existing_destination",
        {
            "old/name.txt": "from\n",
            "old/other.txt": "unrelated file\n",
            "renamed/dir/name.txt": "existing\n",
        },
        BEGIN + "*** Update File: old/name.txt\n*** Move to: renamed/dir/name.txt\n@@\n"
        "-from\n+new\n" + END,
        {"old/other.txt": "unrelated file\n", "renamed/dir/name.txt": "new\n"},
        kodo={
            "old/name.txt": "from\n",
            "old/other.txt": "unrelated file\n",
            "renamed/dir/name.txt": "existing\n",
        },
        says=("already exists", "*** Delete File: renamed/dir/name.txt"),
    ),
    Scenario(
        "011_add_overwrites_existing_file",
        {"duplicate.txt": "old content\n"},
        BEGIN + "*** Add File: duplicate.txt\n+new content\n" + END,
        {"duplicate.txt": "new content\n"},
        kodo={"duplicate.txt": "old content\n"},
        says=("already exists", "*** Delete File: duplicate.txt"),
    ),
    Scenario(
        "012_delete_directory_fails",
        {"dir/foo.txt": "stable\n"},
        BEGIN + "*** Delete File: dir\n" + END,
        {"dir/foo.txt": "stable\n"},
    ),
    Scenario(
        "013_rejects_invalid_hunk_header",
        STABLE,
        BEGIN + "*** Frobnicate File: foo\n" + END,
        STABLE,
    ),
    Scenario(
        "014_update_file_appends_trailing_newline",
        {"no_newline.txt": "no newline at end"},
        BEGIN + "*** Update File: no_newline.txt\n@@\n-no newline at end\n+first line\n"
        "+second line\n" + END,
        {"no_newline.txt": "first line\nsecond line\n"},
        kodo={"no_newline.txt": "first line\nsecond line"},
        says=("no newline at the end",),
    ),
    Scenario(
        "015_failure_after_partial_success_leaves_changes",
        {},
        BEGIN + "*** Add File: created.txt\n+hello\n*** Update File: missing.txt\n@@\n-old\n"
        "+new\n" + END,
        {"created.txt": "hello\n"},
        kodo={},
        says=("cannot update missing.txt", "Nothing was changed"),
    ),
    Scenario(
        "016_pure_addition_update_chunk",
        {"input.txt": "line1\nline2\n"},
        BEGIN + "*** Update File: input.txt\n@@\n+added line 1\n+added line 2\n" + END,
        {"input.txt": "line1\nline2\nadded line 1\nadded line 2\n"},
    ),
    Scenario(
        "017_whitespace_padded_hunk_header",
        {"foo.txt": "old\n"},
        BEGIN + "  *** Update File: foo.txt\n@@\n-old\n+new\n" + END,
        {"foo.txt": "new\n"},
    ),
    Scenario(
        "018_whitespace_padded_patch_markers",
        {"file.txt": "one\n"},
        " *** Begin Patch\n*** Update File: file.txt\n@@\n-one\n+two\n*** End Patch \n",
        {"file.txt": "two\n"},
    ),
    Scenario(
        "019_unicode_simple",
        {"foo.txt": "line1\nnaïve café\nline3\n"},
        BEGIN + "*** Update File: foo.txt\n@@\n line1\n-naïve café\n+naïve café ✅\n"
        "*** End Patch \n",
        {"foo.txt": "line1\nnaïve café ✅\nline3\n"},
    ),
    Scenario(
        "020_delete_file_success",
        {"keep.txt": "keep\n", "obsolete.txt": "obsolete\n"},
        BEGIN + "*** Delete File: obsolete.txt\n" + END,
        {"keep.txt": "keep\n"},
    ),
    Scenario(
        "020_whitespace_padded_patch_marker_lines",
        {"file.txt": "one\n"},
        "*** Begin Patch \n*** Update File: file.txt\n@@\n-one\n+two\n *** End Patch\n",
        {"file.txt": "two\n"},
    ),
    Scenario(
        "021_update_file_deletion_only",
        {"lines.txt": "line1\nline2\nline3\n"},
        BEGIN + "*** Update File: lines.txt\n@@\n line1\n-line2\n line3\n" + END,
        {"lines.txt": "line1\nline3\n"},
    ),
    Scenario(
        "022_update_file_end_of_file_marker",
        {"tail.txt": "first\nsecond\n"},
        BEGIN + "*** Update File: tail.txt\n@@\n first\n-second\n+second updated\n"
        "*** End of File\n" + END,
        {"tail.txt": "first\nsecond updated\n"},
    ),
]


def tree(root: Path) -> dict[str, str | None]:
    """Every file (its bytes as text) and directory (None) under ``root``, as Codex compares."""
    out: dict[str, str | None] = {}
    for path in root.rglob("*"):
        rel = str(path.relative_to(root))
        out[rel] = None if path.is_dir() else path.read_bytes().decode()
    return out


def expected_tree(files: dict[str, str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name, text in files.items():
        for parent in Path(name).parents:
            if str(parent) != ".":
                out[str(parent)] = None
        out[name] = text
    return out


def run_cli(cwd: Path, patch: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KODO, "apply-patch"],
        input=patch,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_codex_scenario(scenario: Scenario, tmp_path: Path) -> None:
    for name, text in scenario.given.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(text.encode())
    done = run_cli(tmp_path, scenario.patch)
    assert "Traceback" not in done.stderr
    outcome = scenario.codex if scenario.kodo is None else scenario.kodo
    assert tree(tmp_path) == expected_tree(outcome), done.stderr
    changed = outcome != scenario.given
    assert (done.returncode == 0) == changed, done.stderr
    for words in scenario.says:
        assert words in done.stdout + done.stderr
