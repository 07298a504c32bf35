"""Attacks on approvals, through the real tools (ToolRegistry dispatch, a real sandbox), the real
renderers (what would reach the terminal) and the real program (`kodo exec`, the `kodo` shell in
tmux): an "always" stretched to other commands, read-only commands that run code through their
flags, a deny rule dodged, edits to .git/.kodo, and control characters that spoof the prompt.

Every attack has a positive control showing its probe works where nothing stops it, so no test
passes because its probe is broken. Workspaces live under /var/tmp: the sandbox's /tmp is
private.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from kodo.config import Config
from kodo.events import (
    AssistantMessage,
    CommandDetail,
    CommandOutput,
    EditDetail,
    Error,
    FileChange,
    PlanStep,
    PlanUpdated,
    TextDelta,
    ToolCall,
    ToolResult,
)
from kodo.records import read
from kodo.sandbox.approval import NO_APPROVER, ScriptedApprover
from kodo.sandbox.base import ApprovalRequest, Executor
from kodo.sandbox.factory import create_executor
from kodo.tools.apply_patch import ApplyPatchTool
from kodo.tools.base import ToolContext, ToolOutput
from kodo.tools.registry import ToolRegistry
from kodo.tools.shell import ShellTool
from kodo.tools.write_file import WriteFileTool
from kodo.ui.approvals import describe_request
from kodo.ui.live import ShellRenderer
from kodo.ui.render import ConsoleRenderer
from kodo.ui.slash import _last, _status
from tests.e2e.harness import exec_args, run_kodo
from tests.e2e.test_shell import model_args, shell, tool_messages
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

MakeCtx = Callable[..., ToolContext]


@pytest.fixture
def ws() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="kodo-approvals-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_ctx(ws: Path) -> Iterator[MakeCtx]:
    executors: list[Executor] = []

    def make(approver: ScriptedApprover | None = None, **config: object) -> ToolContext:
        cfg = read(Config, config)
        executor = create_executor(cfg, ws)
        executors.append(executor)
        return ToolContext(ws, cfg, lambda e: None, executor, approver)

    yield make
    for executor in executors:
        executor.close()


def call(ctx: ToolContext, name: str, **args: object) -> ToolOutput:
    registry = ToolRegistry([ShellTool(), ApplyPatchTool(), WriteFileTool()])
    return registry.dispatch(name, json.dumps(args), ctx)


def add_file(path: str, body: str = "x") -> str:
    return f"*** Begin Patch\n*** Add File: {path}\n+{body}\n*** End Patch\n"


# -- "always" covers exactly what the person saw ----------------------------------------------


SMUGGLED = [
    "touch pwned",  # the same `bash -lc` prefix the old "first two words" rule remembered
    "touch ok; touch pwned",
    "touch ok && touch pwned",
    "touch ok || touch pwned; touch pwned",
    "touch ok | touch pwned",
    "touch ok\ntouch pwned",
    "(touch ok) & touch pwned",
    "touch ok $(touch pwned)",
    "touch ok `touch pwned`",
    "touch ok > pwned",
    "bash -c 'touch ok; touch pwned'",
]


def test_always_for_one_bash_command_approves_nothing_else(make_ctx: MakeCtx, ws: Path) -> None:
    approver = ScriptedApprover(["always"])
    ctx = make_ctx(approver, approval_policy="untrusted")
    assert call(ctx, "shell", command="touch ok").ok
    assert call(ctx, "shell", command="touch ok").ok  # positive control: remembered, not asked
    assert call(ctx, "shell", command="touch ok && touch ok").ok
    assert len(approver.requests) == 1 and approver.requests[0].remember
    for script in SMUGGLED:
        out = call(ctx, "shell", command=script)
        assert not out.ok and "no scripted answer left" in out.output, script
        assert not (ws / "pwned").exists(), script
    assert len(approver.requests) == 1 + len(SMUGGLED)
    assert call(make_ctx(None), "shell", command=SMUGGLED[1]).ok  # the probe: it does write
    assert (ws / "pwned").exists()


# -- known-safe commands that would run code or write files -----------------------------------

EVIL = '#!/bin/sh\ntouch pwned\ncat "$1"\n'
FLAG_ATTACKS = [
    ["rg", "--pre", "./evil.sh", "x", "a.txt"],
    ["rg", "--pre=./evil.sh", "x", "a.txt"],
    ["rg", "-n", "--pre-glob", "*", "--pre", "./evil.sh", "x", "a.txt"],
    ["sort", "-o", "pwned", "a.txt"],
    ["sort", "-uo", "pwned", "a.txt"],
    ["sort", "--output=pwned", "a.txt"],
    ["sort", "--out=pwned", "a.txt"],
    ["sort", "--compress-program=./evil.sh", "-S", "1", "-T", ".", "big.txt"],
    ["find", ".", "-name", "a.txt", "-fprint", "pwned"],
    ["find", ".", "-name", "a.txt", "-exec", "touch", "pwned", ";"],
    ["find", ".", "-name", "a.txt", "-execdir", "touch", "pwned", ";"],
    ["uniq", "a.txt", "pwned"],
    ["bash", "-lc", "sort *"],  # a file named --output=pwned becomes an option
    ["bash", "-lc", "ls && git status --porcelain"],  # core.fsmonitor runs on status
    ["bash", "-lc", "git diff"],
]


@pytest.mark.parametrize("argv", FLAG_ATTACKS, ids=lambda argv: " ".join(argv))
def test_read_only_commands_cannot_run_code_through_flags(
    make_ctx: MakeCtx, ws: Path, argv: list[str]
) -> None:
    (ws / "a.txt").write_text("x\n")
    (ws / "big.txt").write_text("".join(f"{i % 977}\n" for i in range(200_000)))
    (ws / "evil.sh").write_text(EVIL)
    (ws / "evil.sh").chmod(0o755)
    (ws / "--output=pwned").write_text("")
    subprocess.run(["git", "init", "-q", str(ws)], check=True)
    subprocess.run(["git", "-C", str(ws), "config", "core.fsmonitor", "touch pwned; false"])
    out = call(make_ctx(None, approval_policy="untrusted"), "shell", command=argv)
    assert not out.ok and NO_APPROVER in out.output
    assert not (ws / "pwned").exists()
    call(make_ctx(None, approval_policy="never"), "shell", command=argv)  # positive control
    assert (ws / "pwned").exists()


def test_plain_read_only_commands_still_run_unasked(make_ctx: MakeCtx, ws: Path) -> None:
    (ws / "a.txt").write_text("b\na\n")
    ctx = make_ctx(None, approval_policy="untrusted")
    for command in ["rg -n a a.txt", "sort -r a.txt | uniq", "find . -name '*.txt'", "ls *"]:
        assert call(ctx, "shell", command=command).ok, command


# -- deny rules --------------------------------------------------------------------------------

DODGES = [
    ["touch", "pwned"],
    ["bash", "-lc", "true && env touch pwned"],
    ["bash", "-lc", "echo | xargs touch pwned"],
    ["bash", "-lc", "sh -c 'touch pwned'"],
    ["bash", "-l", "-c", "touch pwned"],
    ["bash", "-lc", "x=$(touch pwned)"],
    ["bash", "-lc", "eval 't''ouch pwned'"],
    ["/usr/bin/touch", "pwned"],
]


@pytest.mark.parametrize("argv", DODGES, ids=lambda argv: " ".join(argv))
def test_a_deny_rule_refuses_the_command_however_it_is_wrapped(
    make_ctx: MakeCtx, ws: Path, argv: list[str]
) -> None:
    rules = [
        {"pattern": ["**"], "decision": "allow"},
        {"pattern": ["touch", "**", "pwned"], "decision": "deny"},
    ]
    ctx = make_ctx(None, approval_policy="never", approval={"rules": rules})
    out = call(ctx, "shell", command=argv)
    assert not out.ok and "approval rule" in out.output and '"deny"' in out.output
    assert not (ws / "pwned").exists()
    assert call(ctx, "shell", command=["touch", "fine"]).ok  # positive control: rules let it be
    assert call(make_ctx(None, approval_policy="never"), "shell", command=argv).ok
    assert (ws / "pwned").exists()  # positive control: the probe does write


# -- .git and .kodo ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [".git/hooks/pre-commit", ".kodo/config.toml", "hooks/pre-commit", "sub/.git/config"],
)
@pytest.mark.parametrize("tool", ["apply_patch", "write_file"])
def test_edits_in_git_and_kodo_need_a_person(
    make_ctx: MakeCtx, ws: Path, target: str, tool: str
) -> None:
    (ws / ".git" / "hooks").mkdir(parents=True)
    (ws / ".kodo").mkdir()
    (ws / "hooks").symlink_to(ws / ".git" / "hooks")
    written = ws / (".git/hooks/pre-commit" if target == "hooks/pre-commit" else target)
    args = (
        {"patch": add_file(target)} if tool == "apply_patch" else {"path": target, "content": "x"}
    )

    out = call(make_ctx(None), tool, **args)  # defaults: never, workspace-write, nobody to ask
    assert not out.ok and "nobody can be asked" in out.output and target in out.output
    assert not written.exists()

    approver = ScriptedApprover([("no", "leave git alone")])
    out = call(make_ctx(approver, approval_policy="never"), tool, **args)
    assert not out.ok and "leave git alone" in out.output and not written.exists()
    (request,) = approver.requests
    assert request.patch is not None and not request.remember

    assert call(make_ctx(None), tool, **{**args, **_elsewhere(tool)}).ok  # positive control
    assert call(make_ctx(ScriptedApprover(["yes"])), tool, **args).ok
    assert written.read_text() == "x\n"


def _elsewhere(tool: str) -> dict[str, str]:
    return {"patch": add_file("src/a.py")} if tool == "apply_patch" else {"path": "src/a.py"}


def test_never_without_sandbox_edits_git_unasked(make_ctx: MakeCtx, ws: Path) -> None:
    (ws / ".git").mkdir()
    ctx = make_ctx(None, approval_policy="never", sandbox_mode="danger-full-access")
    assert call(ctx, "apply_patch", patch=add_file(".git/info")).ok


def test_untrusted_asks_before_apply_patch(make_ctx: MakeCtx, ws: Path) -> None:
    approver = ScriptedApprover(["no", "always"])
    ctx = make_ctx(approver, approval_policy="untrusted")
    assert not call(ctx, "apply_patch", patch=add_file("a.py")).ok
    assert not (ws / "a.py").exists()
    assert call(ctx, "apply_patch", patch=add_file("a.py")).ok
    update = "*** Begin Patch\n*** Update File: a.py\n-x\n+y\n*** End Patch\n"
    assert call(ctx, "apply_patch", patch=update).ok  # "always" for that file
    assert (ws / "a.py").read_text() == "y\n" and len(approver.requests) == 2


# -- control characters on the terminal --------------------------------------------------------

HOSTILE = (
    "ok\x1b]52;c;cm0gLXJmIH4K\x07"  # OSC 52: set the clipboard
    "\x1b[2K\rallow? \x08\x08"  # erase the line, redraw a fake prompt
    "\x9b31m\u202eexe.txt\u202c [link=https://evil.example]docs[/link] [bold]x[/bold]"
)
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def reaching_terminal(render: Callable[[io.StringIO], None]) -> str:
    buf = io.StringIO()
    render(buf)
    return SGR.sub("", buf.getvalue())


def console(buf: io.StringIO):
    from rich.console import Console

    return Console(file=buf, force_terminal=True, color_system="truecolor", width=200)


def call_event(call_id: str, name: str, arguments: str) -> ToolCall:
    """The call as the loop announces it: titled by its tool, from the hostile arguments."""
    call = ToolRegistry([ShellTool(), ApplyPatchTool()]).prepare(name, arguments)
    return ToolCall(
        call_id=call_id, name=name, arguments=arguments, title=call.title, streams=call.streams
    )


def hostile_events() -> list:
    shell = call_event("1", "shell", json.dumps({"command": f"echo {HOSTILE}"}))
    patch = call_event("2", "apply_patch", json.dumps({"patch": add_file(HOSTILE)}))
    printed = [line for line in HOSTILE.splitlines() if line.strip()]
    return [
        AssistantMessage(text=f"Done. {HOSTILE}"),
        shell,
        ToolResult(
            call_id="1",
            name="shell",
            output=f"exit code 1\nwall time: 0.01 s\noutput:\n{HOSTILE}\n",
            ok=False,
            title=shell.title,
            detail=CommandDetail(
                command=f"echo {HOSTILE}",
                exit_code=1,
                duration_s=0.01,
                tail=printed,
                lines=len(printed),
            ),
        ),
        patch,
        ToolResult(
            call_id="2",
            name="apply_patch",
            output="Success",
            title=patch.title,
            detail=EditDetail(files=[FileChange("a", "add")], diff=f"+++ b/a\n+{HOSTILE}\n"),
        ),
        ToolResult(call_id="3", name="read_file", output=f"{HOSTILE}\n", ok=False),
        PlanUpdated(steps=[PlanStep(step=HOSTILE, status="pending")]),
        Error(message=HOSTILE),
    ]


def assert_harmless(shown: str) -> None:
    assert not FORBIDDEN.search(shown), repr(FORBIDDEN.findall(shown))
    assert "evil.example" in shown and "[link=" in shown  # printed as text, not a hyperlink


def test_the_probe_sees_what_rich_lets_through() -> None:
    """Positive control: printed raw, the hostile text does reach the terminal."""
    shown = reaching_terminal(lambda buf: console(buf).print(HOSTILE, markup=False))
    assert "\x1b]52;" in shown and "\u202e" in shown and FORBIDDEN.search(shown)
    linked = reaching_terminal(lambda buf: console(buf).print(HOSTILE))
    assert "\x1b]8;" in linked  # as markup, [link=...] becomes a real hyperlink


def test_kodo_exec_output_shows_control_characters_as_text() -> None:
    def render(buf: io.StringIO) -> None:
        renderer = ConsoleRenderer(console(buf))
        for event in hostile_events():
            renderer(event)
        renderer(call_event("4", "shell", json.dumps({"command": HOSTILE})))
        renderer(CommandOutput(call_id="4", text=HOSTILE))  # streamed: the live card's tail
        renderer.console.print(renderer._view())

    shown = reaching_terminal(render)
    assert_harmless(shown)
    assert "\\x1b]52;c;cm0gLXJmIH4K\\x07" in shown and "\\u202e" in shown and "\\x0d" in shown
    assert "│ allow? \\x08\\x08" in shown  # the streamed tail was drawn, spelled out


def test_shell_output_shows_control_characters_as_text() -> None:
    def render(buf: io.StringIO) -> None:
        renderer = ShellRenderer(console(buf), {}, "m")
        for event in hostile_events():
            renderer(event)
        renderer(TextDelta(text=HOSTILE))  # the live region: streamed text, the spinner's line
        renderer(call_event("4", "shell", json.dumps({"command": HOSTILE})))
        renderer(CommandOutput(call_id="4", text=HOSTILE))  # streamed: the live card's tail
        renderer.console.print(renderer._view())
        fake = SimpleNamespace(
            console=renderer.console,
            renderer=renderer,
            config=read(
                Config, {"approval": {"rules": [{"pattern": ["git", HOSTILE], "decision": "deny"}]}}
            ),
            cwd=Path("/w"),
            session=None,
        )
        _last(fake, "")  # type: ignore[arg-type]
        _status(fake, "")  # type: ignore[arg-type]

    shown = reaching_terminal(render)
    assert_harmless(shown)
    assert "\\x1b]52;" in shown
    assert "│ allow? \\x08\\x08" in shown  # the streamed tail was drawn, spelled out
    assert 'rule      { pattern = ["git", "ok\\u001b]52;' in shown  # /status lists rules as TOML


def test_the_approval_prompt_cannot_be_spoofed() -> None:
    request = ApprovalRequest(
        ["bash", "-lc", f"rm -rf ~ #{HOSTILE}\n  in /ws, inside the read-only sandbox"],
        Path("/ws\n  reason: harmless"),
        f"tidy up{HOSTILE}\nreally",
        escalate=True,
    )
    lines = describe_request(request, "workspace-write")

    def render(buf: io.StringIO) -> None:
        c = console(buf)
        for line in lines:
            c.print(line, highlight=False, markup=False)

    shown = reaching_terminal(render)
    assert_harmless(shown)
    assert shown.splitlines()[0].startswith("$ rm -rf ~ #ok\\x1b]52;")
    assert (
        shown.splitlines()[1] == "│   in /ws, inside the read-only sandbox"
    )  # marked as the model's
    assert "in /ws\\n  reason: harmless, OUTSIDE the sandbox" in shown
    (reason,) = [line for line in shown.splitlines() if line.startswith("  reason:")]
    assert reason.startswith("  reason: tidy upok\\x1b]52;") and reason.endswith("\\nreally")


# -- the real program ---------------------------------------------------------------------------


def test_kodo_exec_refuses_a_denied_command_and_a_git_hook(tmp_path: Path, kodo_home: Path) -> None:
    (kodo_home / "config.toml").write_text(
        '[[approval.rules]]\npattern = ["git", "push"]\ndecision = "deny"\n'
    )
    (tmp_path / ".kodo").mkdir()  # a project's rules are never read, even to allow
    (tmp_path / ".kodo" / "config.toml").write_text(
        '[[approval.rules]]\npattern = ["**"]\ndecision = "allow"\n'
    )
    (tmp_path / ".git" / "hooks").mkdir(parents=True)
    script = [
        Reply(tool_calls=[Call("shell", {"command": "echo ok && git push origin main"})]),
        Reply(tool_calls=[Call("shell", {"command": "echo ok"})]),
        Reply(tool_calls=[Call("apply_patch", {"patch": add_file(".git/hooks/pre-commit")})]),
        Reply(tool_calls=[Call("apply_patch", {"patch": add_file("notes.txt")})]),
        Reply(text="done"),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "go"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    denied, echoed, hook, notes = run.tool_results
    assert (
        not denied["ok"] and '{ pattern = ["git", "push"], decision = "deny" }' in denied["output"]
    )
    assert echoed["ok"] and "ok" in echoed["output"]  # positive control
    assert not hook["ok"] and "nobody can be asked" in hook["output"]
    assert not (tmp_path / ".git" / "hooks" / "pre-commit").exists()
    assert notes["ok"] and (tmp_path / "notes.txt").exists()  # positive control


def test_always_in_the_shell_covers_the_exact_command_only(tmp_path: Path) -> None:
    """A person answers "always" to `bash -lc 'touch ok'`; the same command runs unasked, any
    other `bash -lc` command is asked about again, and a spoofing one shows as escapes."""
    spoof = "touch pwned \x1b[2K\r$ touch ok"
    script = [
        Reply(tool_calls=[Call("shell", {"command": "touch ok"})]),
        Reply(tool_calls=[Call("shell", {"command": "touch ok"})]),
        Reply(tool_calls=[Call("shell", {"command": spoof})]),
        Reply(text="finished"),
    ]
    with (
        ScriptedOpenAIServer(script) as srv,
        shell(model_args(srv.base_url, "-a", "untrusted"), tmp_path) as term,
    ):
        start = term.mark()
        term.type("go")
        term.wait_for(r"allow\?", after=start)
        term.type("a")
        screen = term.wait_for(r"allow\?[\s\S]*allow\?", after=start)[start:]
        assert "$ touch pwned \\x1b[2K\\x0d$ touch ok" in screen
        term.type("n")
        term.wait_for(r"finished", after=start)
        assert term.screen()[start:].count("allow?") == 2
    assert (tmp_path / "ok").exists() and not (tmp_path / "pwned").exists()
    assert "exit code 0" in tool_messages(srv.requests[2])[-1]  # the repeat ran unasked


class SwappingApprover(ScriptedApprover):
    """Says yes, but swaps ``link`` to point into .git while the person reads the question: a
    sandboxed background process racing the edit could do the same."""

    def __init__(self, link: Path, to: Path) -> None:
        super().__init__(["yes"])
        self.link, self.to = link, to

    def ask(self, request: ApprovalRequest):
        self.link.unlink()
        self.link.symlink_to(self.to)
        return super().ask(request)


def test_a_symlink_swapped_after_the_question_cannot_lead_an_edit_into_git(
    make_ctx: MakeCtx, ws: Path
) -> None:
    (ws / ".git" / "hooks").mkdir(parents=True)
    (ws / "safe").mkdir()
    (ws / "link").symlink_to(ws / "safe")
    approver = SwappingApprover(ws / "link", ws / ".git" / "hooks")
    ctx = make_ctx(approver, approval_policy="untrusted")
    out = call(ctx, "apply_patch", patch=add_file("link/pre-commit"))
    assert len(approver.requests) == 1 and approver.requests[0].remember  # asked as unprotected
    assert not out.ok and not (ws / ".git" / "hooks" / "pre-commit").exists()
    approver = SwappingApprover(ws / "link", ws / "safe")  # positive control: no swap into .git
    out = call(
        make_ctx(approver, approval_policy="untrusted"),
        "apply_patch",
        patch=add_file("link/pre-commit"),
    )
    assert out.ok and (ws / "safe" / "pre-commit").exists()
