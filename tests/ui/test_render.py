"""``kodo exec``'s plain output (a pipe, not a terminal): the session's last line and a failed
job's diagnosis, as a person reading a log of the run sees them."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from kodo.events import Event, JobDetail, SessionCompleted, ToolResult
from kodo.jobs.model import JobStatus
from kodo.jobs.triage import triage, verdict_lines
from kodo.ui.render import ConsoleRenderer, verdict_note

OOM_LOG = (
    "[rank0]: epoch 1 step 10 loss 2.31\n"
    "[rank1]: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a "
    "total capacity of 79.10 GiB of which 3.19 GiB is free.\n"
)
MET = "done-when val_acc >= 0.9: met (val_acc = 0.93)"
NOT_MET = "done-when val_acc >= 0.9: not met (val_acc = 0.62)"


def plain(*events: Event) -> str:
    """What the renderer prints to a pipe."""
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False, highlight=False, width=80)
    console.soft_wrap = True  # as make_console() does for a pipe
    show = ConsoleRenderer(console)
    for event in events:
        show(event)
    return buf.getvalue()


def completed(**fields: Any) -> SessionCompleted:
    return SessionCompleted(status="completed", exit_code=0, **fields)


def test_a_met_condition_is_the_check_not_a_missing_one() -> None:
    end = completed(
        claimed_success=True,
        verified=False,  # no code-running command after the last change; the job measured it
        done_when="val_acc >= 0.9",
        done_met=True,
        done_verdict=MET,
    )
    shown = plain(end)
    assert shown.strip() == f"● completed · the model says it is done; {MET}"
    assert "no passing check" not in shown


def test_an_unmet_condition_says_which_value_decided() -> None:
    end = completed(
        claimed_success=True,
        verified=True,
        done_when="val_acc >= 0.9",
        done_met=False,
        done_verdict=NOT_MET,
    )
    assert verdict_note(end) == f" · the model says it is done; {NOT_MET}"


def test_the_condition_is_said_however_the_run_ended() -> None:
    end = SessionCompleted(
        status="max_turns", exit_code=3, done_when="val_acc >= 0.9", done_met=True, done_verdict=MET
    )
    assert verdict_note(end) == f" · {MET}"


def test_without_done_when_the_check_after_the_last_change_decides() -> None:
    assert verdict_note(completed(claimed_success=True, verified=True)) == (
        " · the model says it is done; a check passed after the last change"
    )
    assert verdict_note(completed(claimed_success=False, verified=False)) == (
        " · no claim of success; no passing check seen"
    )
    assert verdict_note(SessionCompleted(status="error", exit_code=1)) == ""


def test_a_failed_job_wait_shows_its_diagnosis_on_a_pipe() -> None:
    status = JobStatus("12", "failed", raw_state="FAILED", reason="NonZeroExitCode", exit_code=1)
    diagnosed = triage(status, {"train-12.out": OOM_LOG})
    output = f"{status.line()} (the job finished)\n" + diagnosed
    detail = JobDetail(cluster="lab", job_id="12", state="failed", verdict=verdict_lines(diagnosed))
    shown = plain(ToolResult(call_id="1", name="job", output=output, ok=False, detail=detail))
    lines = shown.splitlines()
    assert lines[0] == "  ✗ job 12: failed exit 1 reason: NonZeroExitCode (the job finished)"
    diagnosis, culprit, fix = detail.verdict
    assert diagnosis.startswith("diagnosis: gpu_oom (")
    assert culprit == "culprit: rank 1"
    assert fix.startswith("fix: Reduce the per-GPU batch size")
    assert lines[1:] == [f"    {diagnosis}", f"    {culprit}", f"    {fix}"]
    assert "evidence:" not in shown  # the model's part stays with the model
    assert output.count("fix: ") > 1


def test_other_failures_keep_to_one_line() -> None:
    output = "exit code 1\noutput:\ndiagnosis: not from kodo\n"
    shown = plain(ToolResult(call_id="1", name="job", output=output, ok=False))
    assert shown.splitlines() == ["  ✗ exit code 1"]
