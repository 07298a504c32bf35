"""Which replies without a tool call end a task, for small models (strict) and capable ones."""

from __future__ import annotations

import pytest

from kodo.agent.completion import TaskProgress, assess, claims_success
from kodo.events import BackgroundDetail, CommandDetail, EditDetail, FileChange
from kodo.models.base import ToolCallRequest
from kodo.tools.base import ToolOutput

TOOLS = ["bash", "write_file"]
TASK = "Create hello.py that prints Hello, World! and run it"


def judge(text: str, *, acted=True, verified=False, strict=True):
    return assess(text, TASK, acted=acted, verified=verified, tools=TOOLS, strict=strict)


@pytest.mark.parametrize("text", ["", "   ", "Done.", "ok", "hello.py"])
def test_empty_or_few_words_are_nudged_for_a_small_model(text: str) -> None:
    verdict = judge(text)
    assert not verdict.finished and "bash, write_file" in verdict.nudge


def test_a_terse_done_after_a_passing_check_is_believed() -> None:
    assert judge("Done.", verified=True).finished


def test_code_shown_before_acting_is_nudged() -> None:
    verdict = judge("Here it is:\n```python\nprint('Hello, World!')\n```", acted=False)
    assert not verdict.finished and "only showed code" in verdict.nudge


def test_announced_work_without_a_call_is_nudged() -> None:
    # Verbatim from the real model, after a failing test run.
    text = (
        "The test failed, indicating that the new endpoint did not pass the tests. I will "
        "investigate the cause and fix the issue."
    )
    verdict = judge(text)
    assert not verdict.finished and "called no tool" in verdict.nudge


def test_a_call_that_cannot_be_read_is_sent_back() -> None:
    # Verbatim from the real model: double quotes inside the command are not escaped.
    text = (
        '{"name": "bash", "arguments": {"command": "python3 -c \'from fastapi import FastAPI; '
        'app.get("/health")(lambda: {"status": "ok"})\' > app.py"}'
    )
    verdict = judge(text, strict=False)
    assert not verdict.finished and "could not be read" in verdict.nudge
    assert "```bash" in verdict.nudge


def test_work_handed_back_to_the_user_is_nudged() -> None:
    # Verbatim from the real model after `python3 app.py` failed: app.py did not exist.
    text = (
        "The file `app.py` does not exist in the workspace. You need to create it or replace "
        "its content with the provided code."
    )
    verdict = judge(text)
    assert not verdict.finished and "do it yourself" in verdict.nudge


def test_the_task_restated_is_nudged() -> None:
    verdict = judge("Create hello.py that prints Hello, World! and run it.")
    assert not verdict.finished and "restates the task" in verdict.nudge


def test_a_real_summary_finishes_once_a_check_passed() -> None:
    summary = "I created hello.py and ran it; it printed Hello, World! as expected."
    assert judge(summary, verified=True).finished
    unchecked = judge(summary)  # verbatim case: "I updated average.py", nothing run after
    assert not unchecked.finished and "nothing has shown that it works" in unchecked.nudge


def test_capable_models_are_only_nudged_for_an_empty_reply() -> None:
    assert judge("2 + 3 = 5", strict=False).finished
    assert not judge("", strict=False).finished


@pytest.mark.parametrize(
    ("text", "claimed"),
    [
        ("Fixed the bug; all tests pass.", True),
        ("I could not fix it: the test still fails.", False),
        ("Here is some code.", False),
    ],
)
def test_claims_success(text: str, claimed: bool) -> None:
    assert claims_success(text) is claimed


def test_progress_tracks_checks_after_the_last_edit_and_repeats() -> None:
    progress = TaskProgress()
    run = ToolCallRequest("1", "bash", '{"command": "python3 t.py"}')
    failed = ToolOutput("exit code 1\nwall time: 0.10 s\noutput:\nboom", ok=False)
    assert progress.repeat_note(run, failed) == ""
    again = ToolOutput("exit code 1\nwall time: 0.32 s\noutput:\nboom", ok=False)
    same = ToolCallRequest("2", "bash", '{ "command":"python3 t.py" }')
    assert "failed the same way" in progress.repeat_note(same, again)
    ran = CommandDetail(command="python3 t.py", exit_code=0, runs_code=True)
    progress.record(ToolOutput("ok", detail=ran))
    assert progress.verified
    edit = EditDetail(files=[FileChange("t.py", "update")], diff="")
    progress.record(ToolOutput("Success.", detail=edit))
    assert not progress.verified
    progress.record(ToolOutput("listing", detail=CommandDetail(command="ls", exit_code=0)))
    assert not progress.verified
    server = BackgroundDetail(command="python3 t.py", process_id="p1")
    progress.record(ToolOutput("started", detail=server))
    assert not progress.verified
    nothing = "exit code 0\noutput:\n\nRan 0 tests in 0.000s\n\nOK\n"
    progress.record(ToolOutput(nothing, detail=ran))
    assert not progress.verified
