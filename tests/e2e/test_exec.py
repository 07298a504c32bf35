"""Whole ``kodo exec`` sessions: the real program, a real sandbox, a scripted model over HTTP."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kodo.session.store import all_rollouts, read_events
from tests.e2e.harness import KODO, exec_args, kodo_env, run_kodo
from tests.fakes.anthropic_server import ScriptedAnthropicServer
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, CutStream, Fault, Reply
from tests.processes import processes_matching

PY = sys.executable


def patch_add(path: str, body: str) -> str:
    lines = "".join(f"+{line}\n" for line in body.splitlines())
    return f"*** Begin Patch\n*** Add File: {path}\n{lines}*** End Patch\n"


def last_tool_output(request: dict) -> str:
    return next(m["content"] for m in reversed(request["messages"]) if m["role"] == "tool")


def wait_gone(marker: str, timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := processes_matching(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_write_a_file_and_run_it(tmp_path: Path) -> None:
    seen: list[str] = []

    def check(request: dict) -> Reply:
        seen.append(last_tool_output(request))
        return Reply(text="Created hello.py; it prints the greeting.")

    script = [
        Reply(
            tool_calls=[Call("apply_patch", {"patch": patch_add("hello.py", "print('hi kodo')")})]
        ),
        Reply(tool_calls=[Call("shell", {"command": ["python3", "hello.py"]})]),
        check,
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "write hello.py and run it"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "hello.py").read_text() == "print('hi kodo')\n"
    shell = next(r for r in run.tool_results if r["name"] == "shell")
    assert shell["title"] == "$ python3 hello.py"
    assert shell["detail"]["kind"] == "command" and shell["detail"]["exit_code"] == 0
    assert shell["detail"]["tail"] == ["hi kodo"]
    assert "hi kodo" in seen[0]
    done = run.of_type("session_completed")[0]
    assert done["status"] == "completed"
    assert done["final_message"].startswith("Created hello.py")


def test_failing_test_then_patch_then_passing_test(tmp_path: Path) -> None:
    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    (tmp_path / "test_calc.py").write_text(
        "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"
    )
    pytest_cmd = {"command": [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"]}
    fix = (
        "*** Begin Patch\n*** Update File: calc.py\n@@ def add(a, b):\n"
        "-    return a - b\n+    return a + b\n*** End Patch\n"
    )
    script = [
        Reply(tool_calls=[Call("shell", pytest_cmd)]),
        Reply(
            text="The test fails: add subtracts.", tool_calls=[Call("apply_patch", {"patch": fix})]
        ),
        Reply(tool_calls=[Call("shell", pytest_cmd)]),
        Reply(text="Fixed add; the test passes."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "make the tests pass"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    shells = [r for r in run.tool_results if r["name"] == "shell"]
    assert shells[0]["detail"]["exit_code"] != 0
    assert "1 failed" in shells[0]["output"]
    assert shells[1]["detail"]["exit_code"] == 0
    assert "1 passed" in shells[1]["output"]
    assert "return a + b" in (tmp_path / "calc.py").read_text()
    patch_result = next(r for r in run.tool_results if r["name"] == "apply_patch")
    assert "+    return a + b" in patch_result["detail"]["diff"]
    assert patch_result["detail"]["files"] == [{"path": "calc.py", "action": "update", "to": None}]


def test_background_server_probed_then_stopped_with_the_session(tmp_path: Path) -> None:
    port = random.randint(40000, 49000)
    marker = f"http.server {port}"
    probe = (
        "import time, urllib.request\n"
        "for _ in range(50):\n"
        "    try:\n"
        f"        print('status', urllib.request.urlopen('http://127.0.0.1:{port}/').status)\n"
        "        break\n"
        "    except OSError:\n"
        "        time.sleep(0.1)\n"
    )
    server = {
        "command": ["python3", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        "background": True,
    }
    script = [
        Reply(tool_calls=[Call("shell", server)]),
        Reply(tool_calls=[Call("shell", {"command": ["python3", "-c", probe]})]),
        Reply(text="The server answers 200."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "serve and probe"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    probe_result = run.tool_results[1]
    assert "status 200" in probe_result["output"]
    assert wait_gone(marker) == []


def test_500_429_and_cut_stream_are_retried(tmp_path: Path) -> None:
    script = [Fault(500), Fault(429, retry_after=0.05), CutStream("partial answ"), Reply(text="ok")]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "hello"), cwd=tmp_path)
        assert len(srv.requests) == 4
    assert run.returncode == 0, run.stderr
    retries = run.of_type("retry")
    assert [r["attempt"] for r in retries] == [1, 2, 3]
    assert run.of_type("session_completed")[0]["final_message"] == "ok"
    assert [m["text"] for m in run.of_type("assistant_message")] == ["ok"]


def test_malformed_tool_calls_get_error_results_and_the_loop_goes_on(tmp_path: Path) -> None:
    script = [
        Reply(
            tool_calls=[
                Call("shell", '{"command": ["ls"'),
                Call("no_such_tool", {}),
                Call("read_file", {"path": 5}),
                Call("shell", "[1, 2]"),
            ]
        ),
        Reply(text="recovered"),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "go"), cwd=tmp_path)
        sent_back = [m["content"] for m in srv.requests[1]["messages"] if m["role"] == "tool"]
    assert run.returncode == 0, run.stderr
    outputs = [r["output"] for r in run.tool_results]
    assert all(not r["ok"] for r in run.tool_results)
    assert "not valid JSON" in outputs[0]
    assert "unknown tool 'no_such_tool'" in outputs[1]
    assert "path" in outputs[2] and "invalid arguments" in outputs[2]
    assert "must be a JSON object" in outputs[3]
    assert sent_back == outputs


def test_resume_continues_the_conversation(tmp_path: Path) -> None:
    with ScriptedOpenAIServer([Reply(text="the answer is 42")]) as srv:
        first = run_kodo(exec_args(srv.base_url, "what is the answer?"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    session_id = first.of_type("session_started")[0]["session_id"]

    with ScriptedOpenAIServer([Reply(text="you asked about 42"), Reply(text="again")]) as srv:
        second = run_kodo(
            [*exec_args(srv.base_url, "--last"), "resume", "what did I ask?"], cwd=tmp_path
        )
        third = run_kodo(
            [*exec_args(srv.base_url), "resume", session_id[:8], "once more"], cwd=tmp_path
        )
        contents = [[m["content"] for m in r["messages"]] for r in srv.requests]
    assert second.returncode == 0, second.stderr
    assert third.returncode == 0, third.stderr
    assert "what is the answer?" in contents[0] and "the answer is 42" in contents[0]
    assert contents[0][-1] == "what did I ask?"
    assert "you asked about 42" in contents[1] and contents[1][-1] == "once more"
    assert second.of_type("session_started")[0]["session_id"] == session_id
    assert len(all_rollouts()) == 1


def test_api_key_never_reaches_disk_or_the_sandbox(tmp_path: Path, kodo_home: Path) -> None:
    key = "sk-kodo-e2e-secret-7f3a"
    script = [
        Reply(tool_calls=[Call("shell", {"command": "env; cat /proc/1/environ"})]),
        Reply(text="done"),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(
            exec_args(srv.base_url, "print the environment"),
            cwd=tmp_path,
            env=kodo_env(OPENAI_API_KEY=key),
        )
        assert srv.auth_headers[0] == f"Bearer {key}"
    assert run.returncode == 0, run.stderr
    assert "PATH=" in run.tool_results[0]["output"]
    assert key not in run.stdout + run.stderr
    files = [p for p in kodo_home.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert key.encode() not in path.read_bytes(), path


def test_anthropic_session(tmp_path: Path) -> None:
    script = [
        Reply(text="Let me check.", tool_calls=[Call("shell", {"command": "echo anthropic-ok"})]),
        Reply(text="It printed anthropic-ok."),
    ]
    with ScriptedAnthropicServer(script) as srv:
        run = run_kodo(
            [
                "exec",
                "--json",
                "--provider",
                "anthropic",
                "--base-url",
                srv.base_url,
                "-m",
                "claude-scripted",
                "say hi",
            ],
            cwd=tmp_path,
            env=kodo_env(ANTHROPIC_API_KEY="test-anthropic-key"),
        )
        second = srv.requests[1]
    assert run.returncode == 0, run.stderr
    assert "anthropic-ok" in run.tool_results[0]["output"]
    results = [
        b
        for m in second["messages"]
        for b in (m["content"] if isinstance(m["content"], list) else [])
        if b.get("type") == "tool_result"
    ]
    assert results and results[0]["tool_use_id"] == run.tool_results[0]["call_id"]


def test_max_turns_exit_status(tmp_path: Path) -> None:
    script = [Reply(tool_calls=[Call("shell", {"command": "true"})]) for _ in range(3)]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, "--max-turns", "2", "loop"), cwd=tmp_path)
    assert run.returncode == 3
    assert run.of_type("session_completed")[0]["status"] == "max_turns"


def test_rejected_key_ends_with_a_clear_message(tmp_path: Path) -> None:
    with ScriptedOpenAIServer([Fault(401)]) as srv:
        run = run_kodo(
            exec_args(srv.base_url, "hi"), cwd=tmp_path, env=kodo_env(OPENAI_API_KEY="sk-bad")
        )
        assert len(srv.requests) == 1
    assert run.returncode == 1
    error = run.of_type("error")[0]["message"]
    assert "OPENAI_API_KEY" in error and "sk-bad" not in error


def test_prompt_from_stdin_and_last_message_file(tmp_path: Path) -> None:
    out = tmp_path / "last.txt"
    with ScriptedOpenAIServer([Reply(text="final words")]) as srv:
        run = run_kodo(
            exec_args(srv.base_url, "--output-last-message", str(out), "-"),
            cwd=tmp_path,
            stdin="a prompt from stdin",
        )
        assert srv.requests[0]["messages"][-1]["content"] == "a prompt from stdin"
    assert run.returncode == 0, run.stderr
    assert out.read_text() == "final words"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run_kodo(["exec"], cwd=tmp_path).returncode == 2
    bad = run_kodo(["exec", "-c", "sandbox_mode=nope", "x"], cwd=tmp_path)
    assert bad.returncode == 2 and "sandbox_mode" in bad.stderr


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_session_leaves_a_readable_log_and_no_processes(
    tmp_path: Path, sig: signal.Signals
) -> None:
    marker = f"{random.randint(1000, 9999)}.5"
    script = [Reply(tool_calls=[Call("shell", {"command": ["sleep", marker]})])]
    with ScriptedOpenAIServer(script) as srv:
        proc = subprocess.Popen(
            [*KODO, *exec_args(srv.base_url, "sleep")],
            cwd=tmp_path,
            env=kodo_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            if json.loads(line)["type"] == "tool_call":
                break
        deadline = time.monotonic() + 10
        while not processes_matching(f"sleep {marker}") and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, sig)
        proc.wait(timeout=20)
        proc.stdout.close()
    assert wait_gone(f"sleep {marker}") == []
    events = read_events(all_rollouts()[0])
    kinds = [e.type for e in events]
    assert kinds[0] == "session_started" and "tool_call" in kinds
    if sig == signal.SIGTERM:
        assert proc.returncode == 130
        assert events[-1].type == "session_completed" and events[-1].status == "interrupted"


def test_auto_compaction_summarises_older_turns_and_resume_starts_from_the_summary(
    tmp_path: Path,
) -> None:
    """A long tool output fills a small context window: before the next request the older
    turns go to the model as a transcript to summarise, the summary replaces them, the log
    records it, and a resumed session starts from the summary, not from the old output."""
    filler = "python3 -c \"print('filler-line ' * 3000)\""

    def answer(request: dict) -> Reply:
        system = request["messages"][0]["content"]
        if "summar" in system.lower() and "filler-line" in request["messages"][-1]["content"]:
            return Reply(text="SUMMARY-7c1: printed the filler; nothing else is open.")
        return Reply(text="done")

    window = ["-c", "context_window=6000"]
    with ScriptedOpenAIServer(
        [Reply(tool_calls=[Call("shell", {"command": filler})])] + [answer] * 4
    ) as srv:
        first = run_kodo(exec_args(srv.base_url, *window, "print the filler"), cwd=tmp_path)
        requests = [r["messages"] for r in srv.requests]
    assert first.returncode == 0, first.stderr
    (compacted,) = first.of_type("compacted")
    assert "SUMMARY-7c1" in compacted["summary"]
    assert len(requests) == 3  # the first turn, the summary request, the turn after it
    after = " ".join(m["content"] or "" for m in requests[2])
    assert "SUMMARY-7c1" in after and "filler-line" not in after

    with ScriptedOpenAIServer([answer]) as srv:
        resumed = run_kodo(
            [*exec_args(srv.base_url, *window, "--last"), "resume", "anything left?"],
            cwd=tmp_path,
        )
        sent = " ".join(m["content"] or "" for m in srv.requests[0]["messages"])
    assert resumed.returncode == 0, resumed.stderr
    assert "SUMMARY-7c1" in sent and "filler-line" not in sent
