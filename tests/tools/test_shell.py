"""The shell tool against a real session sandbox, and the approval policies."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodo.config import Config
from kodo.events import BackgroundDetail, CommandDetail
from kodo.records import read
from kodo.sandbox.approval import NO_APPROVER, ScriptedApprover, is_known_safe
from kodo.sandbox.bwrap import BwrapExecutor
from kodo.text import cap_middle
from kodo.tools.base import ToolContext
from kodo.tools.registry import ToolRegistry
from kodo.tools.shell import BashTool, ShellTool


@pytest.fixture
def base() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="kodo-shelltest-", dir="/var/tmp"))
    (path / "ws").mkdir()
    (path / "outside").mkdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_ctx(base: Path) -> Iterator:
    executors: list[BwrapExecutor] = []

    def make(approver=None, **config) -> ToolContext:
        cfg = read(Config, config)
        ex = BwrapExecutor(cfg, base / "ws")
        executors.append(ex)
        return ToolContext(base / "ws", cfg, lambda e: None, ex, approver)

    yield make
    for ex in executors:
        ex.close()


def call(ctx: ToolContext, tool: ShellTool | None = None, **args):
    registry = ToolRegistry([tool or ShellTool()])
    return registry.dispatch("shell", json.dumps(args), ctx)


def test_foreground_result_and_its_card(make_ctx) -> None:
    out = call(make_ctx(), command="echo hello; echo oops >&2; echo; exit 3")
    assert not out.ok
    assert out.output.startswith("exit code 3\nwall time: ")
    assert "hello\n" in out.output and "oops\n" in out.output
    card = out.detail
    assert isinstance(card, CommandDetail)
    assert (card.exit_code, card.ended, card.timed_out) == (3, "exit code 3", False)
    assert card.command == "echo hello; echo oops >&2; echo; exit 3"
    assert card.duration_s >= 0 and card.runs_code and not card.outside_sandbox
    # the command's own output, not the model's header; blank lines are not shown
    assert sorted(card.tail) == ["hello", "oops"] and card.lines == 2


def test_the_card_keeps_only_the_last_lines(make_ctx) -> None:
    out = call(make_ctx(), command="seq 1 100")
    assert out.detail.tail == [str(n) for n in range(95, 101)] and out.detail.lines == 100


def test_a_call_describes_itself_and_says_whether_it_streams() -> None:
    registry = ToolRegistry([ShellTool(), BashTool()])
    titles = [
        registry.prepare("shell", json.dumps({"command": "pytest -q"})),
        registry.prepare("shell", json.dumps({"command": ["bash", "-lc", "ls"]})),
        registry.prepare("shell", json.dumps({"command": ["serve"], "background": True})),
        registry.prepare("bash", json.dumps({"command": "python3 t.py"})),
    ]
    assert [(t.title, t.streams) for t in titles] == [
        ("$ pytest -q", True),
        ("$ ls", True),
        ("$ serve  (background)", False),
        ("$ python3 t.py", True),
    ]


def test_argv_and_workdir(make_ctx, base: Path) -> None:
    (base / "ws" / "sub").mkdir()
    out = call(make_ctx(), command=["pwd"], workdir="sub")
    assert out.ok and out.output.endswith(f"{base / 'ws' / 'sub'}\n")
    assert out.detail.command == "pwd" and not out.detail.runs_code


def test_timeout_is_reported(make_ctx) -> None:
    out = call(make_ctx(), command=["sleep", "30"], timeout_ms=300)
    assert not out.ok
    assert "timed out after 0.3 s; the process group was killed" in out.output
    assert out.detail.timed_out is True and out.detail.exit_code is None


def test_output_is_capped_head_and_tail(make_ctx) -> None:
    ctx = make_ctx(tool_output_max_bytes=1000)
    out = call(ctx, command="echo FIRST; seq 1 100000; echo LAST")
    assert "FIRST" in out.output and "LAST" in out.output
    assert "bytes omitted ...]" in out.output
    # cut once, here: with its own lines it fits, so the loop's cap leaves it as it is
    assert len(out.output.encode()) <= 1000
    assert cap_middle(out.output, 1000) == out.output


def test_background_returns_id_and_first_output(make_ctx) -> None:
    ctx = make_ctx()
    out = call(
        ctx, command=[sys.executable, "-u", "-c", "print('serving'); input()"], background=True
    )
    assert out.ok
    assert isinstance(out.detail, BackgroundDetail)
    pid = out.detail.process_id
    assert f"started in the background as {pid}" in out.output
    assert "serving" in out.output
    assert ctx.executor.get(pid).poll() is None


def test_known_safe_commands() -> None:
    assert is_known_safe(["ls", "-la"])
    assert not is_known_safe(["bash", "-lc", "git status"])  # repo config can run hooks
    assert is_known_safe(["bash", "-lc", "grep -rn foo src"])
    assert is_known_safe(["bash", "-lc", "cd src && grep -rn foo . | head -5"])
    assert not is_known_safe(["bash", "-lc", "ls; rm -rf /"])
    assert not is_known_safe(["bash", "-lc", "cat x > y"])
    assert not is_known_safe(["bash", "-lc", "echo $(rm x)"])
    assert not is_known_safe(["bash", "-lc", "ls && touch x"])
    assert not is_known_safe(["git", "push"])
    assert not is_known_safe(["find", ".", "-delete"])
    assert not is_known_safe(["rm", "x"])


def test_untrusted_asks_for_unknown_commands(make_ctx, base: Path) -> None:
    approver = ScriptedApprover([("no", "not now"), "yes"])
    ctx = make_ctx(approver, approval_policy="untrusted")
    tool = ShellTool()
    assert call(ctx, tool, command="ls").ok
    assert approver.requests == []
    refused = call(ctx, tool, command="touch a")
    assert not refused.ok and "refused" in refused.output and "not now" in refused.output
    assert not (base / "ws" / "a").exists()
    assert call(ctx, tool, command="touch a").ok
    assert (base / "ws" / "a").exists()
    assert [r.escalate for r in approver.requests] == [False, False]
    assert approver.requests[0].argv == ["bash", "-c", "touch a"]


def test_always_remembers_the_exact_command(make_ctx, base: Path) -> None:
    approver = ScriptedApprover(["always"])
    ctx = make_ctx(approver, approval_policy="untrusted")
    tool = ShellTool()
    assert call(ctx, tool, command=["mkdir", "-p", "x"]).ok
    assert call(ctx, tool, command=["mkdir", "-p", "x"]).ok
    assert len(approver.requests) == 1
    assert not call(ctx, tool, command=["mkdir", "-p", "y"]).ok  # other words: asked, refused
    assert len(approver.requests) == 2 and not (base / "ws" / "y").exists()


def test_no_approver_means_no(make_ctx) -> None:
    out = call(make_ctx(None, approval_policy="untrusted"), command="touch a")
    assert not out.ok and NO_APPROVER in out.output


def test_on_failure_offers_a_rerun_outside(make_ctx, base: Path) -> None:
    target = base / "outside" / "f"
    approver = ScriptedApprover(["no", "yes"])
    ctx = make_ctx(approver, approval_policy="on-failure")
    tool = ShellTool()
    first = call(ctx, tool, command=f"echo hi > {target}")
    assert not first.ok and not target.exists()
    assert "not re-run outside the sandbox" in first.output
    second = call(ctx, tool, command=f"echo hi > {target}")
    assert second.ok and target.read_text() == "hi\n"
    assert "re-ran outside it (approved)" in second.output
    assert second.detail.outside_sandbox is True
    assert all(r.escalate for r in approver.requests)
    assert "failed in the sandbox" in (approver.requests[0].reason or "")


def test_on_request_escalation(make_ctx, base: Path) -> None:
    target = base / "outside" / "g"
    approver = ScriptedApprover([("no", "use the workspace"), "yes"])
    ctx = make_ctx(approver, approval_policy="on-request")
    tool = ShellTool()
    plain = call(ctx, tool, command=f"echo hi > {target}")
    assert not plain.ok and approver.requests == []
    args = {
        "command": f"echo hi > {target}",
        "with_escalated_permissions": True,
        "justification": "write the host config",
    }
    refused = call(ctx, tool, **args)
    assert not refused.ok and "use the workspace" in refused.output and not target.exists()
    assert call(ctx, tool, **args).ok
    assert target.read_text() == "hi\n"
    assert approver.requests[0].reason == "write the host config"
    assert approver.requests[0].escalate


def test_never_does_not_ask_and_stays_sandboxed(make_ctx, base: Path) -> None:
    target = base / "outside" / "h"
    approver = ScriptedApprover(["yes"])
    ctx = make_ctx(approver, approval_policy="never")
    out = call(
        ctx, command=f"echo hi > {target}", with_escalated_permissions=True, justification="please"
    )
    assert not out.ok and not target.exists()
    assert approver.requests == []
