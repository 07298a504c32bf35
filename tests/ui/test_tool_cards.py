"""What a person sees of tool calls comes from the typed fields of the events (the call's title,
the result's detail), whichever tool sent them: no renderer knows a tool by its name or reads
the text the model gets."""

from __future__ import annotations

import io

from rich.console import Console

from kodo.events import (
    BackgroundDetail,
    CommandDetail,
    EditDetail,
    Event,
    FileChange,
    ToolCall,
    ToolResult,
)
from kodo.ui.live import ShellRenderer
from kodo.ui.render import ConsoleRenderer

MODEL_TEXT = "exit code 1\nwall time: 0.25 s\noutput:\nnot what a card shows"
CARD = CommandDetail(
    command="make check",
    exit_code=1,
    duration_s=0.25,
    tail=["step 4", "step 5", "step 6", "step 7", "step 8", "FAILED"],
    lines=9,
)


def console(buf: io.StringIO) -> Console:
    return Console(file=buf, force_terminal=False, highlight=False, width=100)


def shown_by_exec(*events: Event) -> str:
    buf = io.StringIO()
    show = ConsoleRenderer(console(buf))
    for event in events:
        show(event)
    return buf.getvalue()


def shown_by_shell(*events: Event) -> str:
    buf = io.StringIO()
    show = ShellRenderer(console(buf), {}, "m")
    for event in events:
        show(event)
    return buf.getvalue()


def call(title: str | None, name: str = "runner") -> ToolCall:
    return ToolCall(call_id="c1", name=name, arguments="{}", title=title)


def result(detail=None, *, ok: bool = False, title: str | None = "$ make check") -> ToolResult:
    return ToolResult(
        call_id="c1", name="runner", output=MODEL_TEXT, ok=ok, title=title, detail=detail
    )


def test_a_command_card_from_any_tool_shows_its_detail_not_the_models_text() -> None:
    exec_view = shown_by_exec(call("$ make check"), result(CARD))
    assert exec_view.splitlines() == [
        "$ make check",
        "  ✗ exit 1 · 0.25s",
        *(f"    {line}" for line in CARD.tail),
    ]
    shell_view = shown_by_shell(call("$ make check"), result(CARD))
    assert shell_view.splitlines()[1:] == [
        "$ make check",
        "  │ step 6",
        "  │ step 7",
        "  │ step 8",
        "  │ FAILED",
        "  ✗ exit 1 · 0.25s · 5 more lines (/last)",
    ]
    assert "not what a card shows" not in exec_view + shell_view


def test_a_command_that_did_not_exit_says_how_it_ended() -> None:
    killed = CommandDetail(command="sleep 9", ended="killed by signal 9 (SIGKILL)", duration_s=1)
    timed_out = CommandDetail(command="sleep 9", timed_out=True, ended="timed out after 1.0 s")
    assert "  ✗ killed by signal 9 (SIGKILL) · 1.00s" in shown_by_exec(result(killed))
    assert "  ✗ timed out · 0.00s" in shown_by_shell(result(timed_out))


def test_a_background_start_and_an_edit() -> None:
    started = BackgroundDetail(command="serve", process_id="p7")
    assert "▶ running in the background as p7" in shown_by_exec(result(started, ok=True))
    edit = EditDetail(files=[FileChange("a.py", "update")], diff="--- a/a.py\n+++ b/a.py\n+new")
    assert shown_by_exec(result(edit, ok=True)).endswith("+new\n")
    shell_view = shown_by_shell(result(edit, ok=True, title="apply_patch a.py"))
    assert shell_view.splitlines()[1:] == ["apply_patch a.py", "--- a/a.py", "+++ b/a.py", "+new"]


def test_a_call_whose_own_event_shows_it_is_not_shown() -> None:
    """update_plan's title is empty: plan_updated shows the plan."""
    assert shown_by_exec(call("", "update_plan"), result(ok=True, title="")) == ""
    assert shown_by_shell(result(ok=False, title="")) == ""


def test_events_from_a_log_without_titles_or_details_name_the_tool() -> None:
    old = result(title=None, ok=True)
    assert shown_by_exec(call(None)) == "runner\n"
    assert shown_by_shell(old).splitlines()[1:] == ["runner ✓"]
