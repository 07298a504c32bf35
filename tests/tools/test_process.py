"""The process tool: background processes in the session sandbox."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodo.config import Config
from kodo.sandbox.approval import ScriptedApprover
from kodo.sandbox.bwrap import BwrapExecutor
from kodo.tools.base import ToolContext
from kodo.tools.process import ProcessTool
from kodo.tools.registry import ToolRegistry
from kodo.tools.shell import ShellTool

ECHO = "import sys\nfor line in sys.stdin:\n    print('got', line.strip(), flush=True)\n"


@pytest.fixture
def ctx() -> Iterator[ToolContext]:
    ws = Path(tempfile.mkdtemp(prefix="kodo-proctest-", dir="/var/tmp"))
    cfg = Config()
    ex = BwrapExecutor(cfg, ws)
    yield ToolContext(ws, cfg, lambda e: None, ex)
    ex.close()
    shutil.rmtree(ws, ignore_errors=True)


def call(ctx: ToolContext, name: str, **args):
    return ToolRegistry([ShellTool(), ProcessTool()]).dispatch(name, json.dumps(args), ctx)


def test_write_read_list_stop(ctx: ToolContext) -> None:
    started = call(ctx, "shell", command=[sys.executable, "-c", ECHO], background=True)
    pid = started.detail.process_id
    out = call(ctx, "process", action="write", id=pid, input="ping\n", wait_ms=3000)
    assert out.ok and "got ping" in out.output
    listed = call(ctx, "process", action="list")
    assert f"{pid}: running" in listed.output
    stopped = call(ctx, "process", action="stop", id=pid)
    assert "killed by signal 15" in stopped.output
    assert ctx.executor.get(pid).poll() == -15
    again = call(ctx, "process", action="write", id=pid, input="x\n")
    assert not again.ok and "not running" in again.output


def test_read_waits_for_new_output(ctx: ToolContext) -> None:
    script = "sleep 1.2; echo later; sleep 0.2; exit 4"  # after the start's 0.75 s wait
    pid = call(ctx, "shell", command=script, background=True).detail.process_id
    out = call(ctx, "process", action="read", id=pid, wait_ms=3000)
    assert "later" in out.output
    ctx.executor.get(pid).read_new(0)
    out = call(ctx, "process", action="read", id=pid, wait_ms=2000)
    assert "exited 4" in out.output


def test_errors_are_results(ctx: ToolContext) -> None:
    assert "no background process" in call(ctx, "process", action="read", id="nope").output
    assert "needs an id" in call(ctx, "process", action="stop").output
    assert call(ctx, "process", action="list").output == "no background processes."


def test_escalated_background_process_is_managed_too() -> None:
    ws = Path(tempfile.mkdtemp(prefix="kodo-proctest-", dir="/var/tmp"))
    cfg = Config(approval_policy="on-request")
    ex = BwrapExecutor(cfg, ws)
    ctx = ToolContext(ws, cfg, lambda e: None, ex, ScriptedApprover(["yes"]))
    try:
        started = call(
            ctx,
            "shell",
            command=[sys.executable, "-c", ECHO],
            background=True,
            with_escalated_permissions=True,
            justification="test",
        )
        pid = started.detail.process_id
        assert ex.get(pid) is not None and ex.get(pid) in ex.outside_sandbox().processes()
        out = call(ctx, "process", action="write", id=pid, input="pong\n", wait_ms=3000)
        assert "got pong" in out.output
        assert f"{pid}: running" in call(ctx, "process", action="list").output
        handle = ex.get(pid)
    finally:
        ex.close()
    shutil.rmtree(ws, ignore_errors=True)
    assert handle.poll() is not None


def test_a_reply_written_in_pieces_comes_back_whole(ctx: ToolContext) -> None:
    pieces = (
        "import sys, time\nfor line in sys.stdin:\n"
        "    for part in ('got', ' ', line.strip(), '\\n'):\n"
        "        sys.stdout.write(part); sys.stdout.flush(); time.sleep(0.05)\n"
    )
    started = call(ctx, "shell", command=[sys.executable, "-c", pieces], background=True)
    pid = started.detail.process_id
    out = call(ctx, "process", action="write", id=pid, input="ping\n", wait_ms=5000)
    assert out.output.endswith("got ping\n")
    call(ctx, "process", action="stop", id=pid)
