"""Watching long work, through the real program: command output streams into the command's card
while it runs (exec in a terminal and the shell, both in tmux), exec's spinner counts while the
model thinks, pipes get unwrapped, unpadded text, and a reader that goes away ends the run
quietly with its session file whole."""

from __future__ import annotations

import random
import re
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kodo.session.store import all_rollouts, read_events
from tests.e2e.harness import KODO, exec_args, kodo_env, run_kodo
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply
from tests.processes import processes_matching
from tests.ui.tmux import TmuxShell

# Prints three lines, then holds until the test creates `go` in the workspace: the test sees
# the card while the command is provably still running, with no timing involved.
HOLD = "for i in 1 2 3; do echo tick-$i; done; while [ ! -e go ]; do sleep 0.05; done; echo after"
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def model_args(base_url: str, *more: str) -> list[str]:
    return ["--provider", "openai-chat", "--base-url", base_url, "-m", "scripted", *more]


def spinner_frames(term: TmuxShell, pattern: str, wanted: int = 3, timeout: float = 30) -> set:
    """The spinner characters seen on the line matching ``pattern`` until ``wanted`` differ:
    a spinner that never advances shows one."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < wanted and time.monotonic() < deadline:
        for line in term.screen().splitlines():
            if re.search(pattern, line) and line[:1] in SPINNER:
                seen.add(line[0])
        time.sleep(0.05)
    return seen


def until(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_shell_streams_a_running_commands_output_with_elapsed_time(tmp_path: Path) -> None:
    script = [
        Reply(text="Starting the job.", tool_calls=[Call("shell", {"command": HOLD})]),
        Reply(text="The job is **done**."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        term = TmuxShell(model_args(srv.base_url), cwd=tmp_path, env=kodo_env())
        try:
            term.wait_prompt()
            start = term.mark()
            term.type("run the job")
            screen = term.wait_for(r"tick-3", after=start)[start:]
            assert re.search(r"running · \d+s · .*esc to interrupt", screen)
            assert "│ tick-1" in screen and "│ after" not in screen  # live, mid-command
            assert len(spinner_frames(term, r"running · ")) >= 3  # the spinner advances
            (tmp_path / "go").touch()
            term.wait_for(r"The job is done\.", after=start)
            screen = term.wait_prompt(after=start)[start:]
            assert "● Starting the job." in screen and "● The job is done." in screen
            assert "✓ exit 0" in screen and "running · " not in screen.split("✓ exit 0")[1]
            shown = term.mark()
            term.type("/last")
            assert "tick-1" in term.wait_for(r"(?m)^after", after=shown)[shown:]
        finally:
            term.close()


def test_exec_in_a_terminal_shows_thinking_time_then_the_live_card(tmp_path: Path) -> None:
    answer = threading.Event()

    def thinking(request: dict) -> Reply:
        answer.wait(30)
        return Reply(tool_calls=[Call("shell", {"command": HOLD})])

    script = [thinking, Reply(text="finished the job")]
    with ScriptedOpenAIServer(script) as srv:
        args = ["exec", *model_args(srv.base_url), "run the job"]
        term = TmuxShell(args, cwd=tmp_path, env=kodo_env())
        try:
            term.wait_for(r"thinking · \d+s")
            assert len(spinner_frames(term, r"thinking · ")) >= 3
            answer.set()
            screen = term.wait_for(r"tick-3")
            assert re.search(r"│ tick-3\n.*running · \d+s", screen)
            (tmp_path / "go").touch()
            assert term.exit_code() == 0
            screen = term.screen()
            assert "finished the job" in screen and "● completed" in screen
            assert "thinking · " not in screen and "running · " not in screen  # all cleared
        finally:
            term.close()


def test_ctrl_c_in_exec_stops_the_command_the_sandbox_and_kodo(tmp_path: Path) -> None:
    """The sandbox runs in a process group of its own (a terminal's signals hit a bwrap that is
    still starting, which then leaves its inner init behind), so Ctrl-C reaches kodo alone and
    kodo stops the sandbox and its command."""
    marker = f"{random.randint(1000, 9999)}.5"
    script = [Reply(tool_calls=[Call("shell", {"command": ["sleep", marker]})])]
    with ScriptedOpenAIServer(script) as srv:
        term = TmuxShell(["exec", *model_args(srv.base_url), "sleep"], cwd=tmp_path, env=kodo_env())
        try:
            term.wait_for(rf"sleep {marker}")
            assert until(lambda: bool(processes_matching(f"sleep {marker}")))
            term.keys("C-c")
            assert term.exit_code() == 130
            assert until(lambda: not processes_matching(f"sleep {marker}"))
            assert "● interrupted" in term.screen()
        finally:
            term.close()
    ends = [e for e in read_events(all_rollouts()[0]) if e.type == "session_completed"]
    assert [e.status for e in ends] == ["interrupted"]


def test_exec_json_streams_command_output_but_the_session_file_does_not_keep_it(
    tmp_path: Path,
) -> None:
    script = [
        Reply(tool_calls=[Call("shell", {"command": "echo one; echo two"})]),
        Reply(text="done"),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "go"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    streamed = "".join(e["text"] for e in run.of_type("command_output"))
    assert "one\ntwo\n" in streamed
    call_id = run.of_type("tool_call")[0]["call_id"]
    assert {e["call_id"] for e in run.of_type("command_output")} == {call_id}
    recorded = {e.type for e in read_events(all_rollouts()[0])}
    assert "command_output" not in recorded and "tool_result" in recorded


def test_a_flood_streams_a_bounded_tail_and_the_result_keeps_head_and_tail(tmp_path: Path) -> None:
    script = [Reply(tool_calls=[Call("shell", {"command": "seq 1 3000000"})]), Reply(text="ok")]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "flood"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    streamed = [e["text"] for e in run.of_type("command_output")]
    assert sum(map(len, streamed)) < 1_000_000  # of the 22 MB it printed
    assert streamed[-1].endswith("2999999\n3000000\n")  # the tail people see is the real one
    result = run.tool_results[0]["output"]
    assert "\n1\n2\n" in result and "bytes omitted" in result and result.endswith("3000000\n")


def test_piped_exec_output_is_neither_wrapped_nor_padded(tmp_path: Path) -> None:
    long_line = "word " * 40 + "end-of-the-long-line"
    long_diff = "x" * 150
    patch = f"*** Begin Patch\n*** Add File: a.txt\n+{long_diff}\n*** End Patch\n"
    script = [
        Reply(tool_calls=[Call("apply_patch", {"patch": patch})]),
        Reply(text=f"# Summary\n\n{long_line}\n\n- a **bold** point"),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(["exec", *model_args(srv.base_url), "go"], cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert long_line in lines  # one line, as the model wrote it
    assert f"+{long_diff}" in lines  # the diff line whole
    assert not [line for line in lines if line != line.rstrip()]  # no padding
    assert "\x1b[" not in run.stdout


def test_exec_json_into_head_exits_quietly_with_the_session_file_whole(tmp_path: Path) -> None:
    head_done = tmp_path / "head-done"

    def after_head_left(request: dict) -> Reply:
        until(head_done.exists)
        return Reply(tool_calls=[Call("shell", {"command": "seq 1 2000"})])

    script = [after_head_left, Reply(text="never shown")]
    with ScriptedOpenAIServer(script) as srv:
        kodo = shlex.join([*KODO, *exec_args(srv.base_url, "go")])
        pipeline = (
            f"{kodo} 2>stderr.txt | {{ head -1 > first.txt; touch {shlex.quote(str(head_done))}; }}"
            "; echo ${PIPESTATUS[0]} > status.txt"
        )
        subprocess.run(["bash", "-c", pipeline], cwd=tmp_path, env=kodo_env(), timeout=120)
    assert (tmp_path / "stderr.txt").read_text() == ""  # no BrokenPipeError, no traceback
    first = (tmp_path / "first.txt").read_text()
    assert first.startswith('{"type":"session_started"') and '"session_started"' in first
    assert int((tmp_path / "status.txt").read_text()) == 130
    events = read_events(all_rollouts()[0])
    assert events[-1].type == "session_completed" and events[-1].status == "interrupted"
    assert "closed" in (events[-1].error or "")
