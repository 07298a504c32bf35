"""Tool results carry typed details beside the model's text, read back from a log line by their
``kind``; session files written before titles and details existed are still read."""

from __future__ import annotations

import json

import pytest

from kodo.events import (
    BackgroundDetail,
    CommandDetail,
    EditDetail,
    FileChange,
    ToolCall,
    ToolResult,
    parse_event,
    to_json,
)
from kodo.records import RecordError

DETAILS = [
    CommandDetail(
        command="pytest -q",
        exit_code=None,
        ended="killed by signal 9 (SIGKILL)",
        duration_s=1.5,
        runs_code=True,
        tail=["collected 3 items", "..F"],
        lines=2,
    ),
    BackgroundDetail(command="python3 -m http.server", process_id="p1"),
    EditDetail(files=[FileChange("a.py", "move", "b.py")], diff="--- a/a.py\n+++ b/b.py\n"),
]


@pytest.mark.parametrize("detail", DETAILS, ids=lambda d: d.kind)
def test_each_detail_comes_back_as_its_own_kind(detail) -> None:
    result = ToolResult(call_id="c1", name="x", output="text", title="t", detail=detail)
    line = to_json(result)
    assert json.loads(line)["detail"]["kind"] == detail.kind
    assert parse_event(line) == result


def test_a_tool_call_keeps_its_title_and_whether_it_streams() -> None:
    call = ToolCall(call_id="c1", name="shell", arguments="{}", title="$ ls", streams=True)
    assert parse_event(to_json(call)) == call


def test_a_session_file_from_before_details_is_still_read() -> None:
    """``metadata`` was the untyped bag a result carried; it is ignored, not refused."""
    old_call = '{"type":"tool_call","ts":1.0,"call_id":"c1","name":"shell","arguments":"{}"}'
    old_result = (
        '{"type":"tool_result","ts":1.0,"call_id":"c1","name":"shell",'
        '"output":"exit code 0\\nwall time: 0.01 s\\noutput:\\nhi","ok":true,'
        '"metadata":{"command":"echo hi","runs_code":true,"exit_code":0,"duration_s":0.01}}'
    )
    call = parse_event(old_call)
    assert isinstance(call, ToolCall) and call.title is None and not call.streams
    result = parse_event(old_result)
    assert isinstance(result, ToolResult) and result.ok and result.output.endswith("hi")
    assert result.title is None and result.detail is None


def test_a_broken_detail_is_named_at_its_place() -> None:
    line = (
        '{"type":"tool_result","call_id":"c1","name":"shell","output":"",'
        '"detail":{"kind":"command","command":"ls","exit_code":"zero"}}'
    )
    with pytest.raises(RecordError, match=r"^detail\.exit_code: Input should be a valid integer$"):
        parse_event(line)
    unknown = line.replace('"kind":"command"', '"kind":"telepathy"')
    with pytest.raises(RecordError, match=r"^detail: "):
        parse_event(unknown)
