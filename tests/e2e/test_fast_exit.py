"""``kodo exec`` leaves without an interpreter teardown once the session is closed: everything it
printed and everything in the session file must still be there, whole, also when the reader of
``--json`` went away mid-session."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from kodo.events import parse_event
from kodo.session.store import all_rollouts
from tests.e2e.harness import KODO, exec_args, kodo_env, run_kodo
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply
from tests.processes import processes_matching


def session_lines() -> list[dict]:
    (path,) = all_rollouts()
    lines = path.read_text().splitlines()
    for line in lines:
        parse_event(line)  # every line a whole, valid event
    return [json.loads(line) for line in lines]


def test_output_session_file_and_last_message_are_complete(tmp_path: Path) -> None:
    marker = "271828"
    script = [Reply(tool_calls=[Call("shell", {"command": f"echo turn {i}"})]) for i in range(5)]
    script.insert(
        2, Reply(tool_calls=[Call("shell", {"command": ["sleep", marker], "background": True})])
    )
    script.append(Reply(text="Done: all five turns ran."))
    last = tmp_path / "last.txt"
    with ScriptedOpenAIServer(script) as srv:
        args = exec_args(srv.base_url, "--output-last-message", str(last), "run five commands")
        run = run_kodo(args, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    printed = [json.loads(line) for line in run.stdout.splitlines()]
    assert printed[-1]["type"] == "session_completed" and printed[-1]["status"] == "completed"
    assert len(run.tool_results) == 6
    logged = session_lines()
    assert [e["type"] for e in logged] == [
        e["type"] for e in printed if e["type"] not in ("text_delta", "command_output")
    ]
    assert logged[-1]["final_message"] == "Done: all five turns ran."
    assert last.read_text() == "Done: all five turns ran."
    assert processes_matching(f"sleep {marker}") == []  # the background process went too


def test_json_into_a_closed_pipe_leaves_a_whole_session_file(tmp_path: Path) -> None:
    script = [Reply(tool_calls=[Call("shell", {"command": f"echo {i}"})]) for i in range(5)]
    script.append(Reply(text="Done."))
    with ScriptedOpenAIServer(script) as srv:
        proc = subprocess.Popen(
            [*KODO, *exec_args(srv.base_url, "keep going")],
            cwd=tmp_path,
            env=kodo_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        seen = [json.loads(proc.stdout.readline())["type"]]
        while seen[-1] != "tool_result":  # the reader goes away after the first command
            seen.append(json.loads(proc.stdout.readline())["type"])
        proc.stdout.close()
        stderr = proc.stderr.read().decode()
        code = proc.wait(60)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    logged = session_lines()
    assert logged[0]["type"] == "session_started"
    assert any(e["type"] == "tool_result" for e in logged)  # what happened before it left
    assert logged[-1]["type"] == "session_completed"
    assert code == logged[-1]["exit_code"]
