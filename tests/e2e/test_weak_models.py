"""How kodo copes with a weak model, through the real CLI and a scripted model over HTTP.

The replies are ones Qwen2.5-Coder-1.5B-Instruct gave kodo (served by llama.cpp, temperature 0):
tool calls written as text, files written as fenced blocks, empty and premature answers."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.harness import exec_args, kodo_env, run_kodo
from tests.fakes.anthropic_server import ScriptedAnthropicServer
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply

COMPACT = ["-c", "tool_profile=compact"]
TEXT = ["-c", "tool_call_format=text"]

# Verbatim replies of the real model (session logs of kodo driving it through llama.cpp).
QWEN_FENCED_WRITE = (
    '```json\n{\n  "name": "write_file",\n  "arguments": {\n    "path": "hello.py",\n'
    '    "content": "print(\'Hello, World!\')"\n  }\n}\n```'
)
QWEN_FENCED_RUN = (
    '```json\n{\n  "name": "bash",\n  "arguments": {\n    "command": "python3 hello.py"\n'
    "  }\n}\n```\n\nThe output should be:\n\n```\nHello, World!\n```"
)


def user_texts(request: dict) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "user"]


def completed(run) -> dict:
    return run.of_type("session_completed")[-1]


def test_fenced_json_calls_run_and_results_go_back_as_text(tmp_path: Path) -> None:
    script = [
        Reply(text=QWEN_FENCED_WRITE),
        Reply(text=QWEN_FENCED_RUN),
        Reply(text="I created hello.py and ran it; it printed Hello, World!"),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(
            exec_args(srv.base_url, *COMPACT, "create hello.py and run it"), cwd=tmp_path
        )
        requests = srv.requests
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "hello.py").read_text() == "print('Hello, World!')\n"
    results = run.tool_results
    assert [r["name"] for r in results] == ["write_file", "bash"]
    assert "Hello, World!" in results[1]["output"]
    messages = run.of_type("assistant_message")
    assert all(c["from_text"] for m in messages for c in m["tool_calls"])
    # People are shown what the model said around its calls, not the calls (their cards show
    # them); the text the model gets back keeps them.
    assert [m["prose"] for m in messages] == [
        "",
        "The output should be:\n\n```\nHello, World!\n```",
        None,
    ]
    assert messages[1]["text"] == QWEN_FENCED_RUN
    # The server never saw a tool message for a call it did not make: results are user text.
    last = requests[2]["messages"]
    assert not any(m["role"] == "tool" for m in last)
    assert "Hello, World!" in last[-1]["content"] and "<tool_response>" in last[-1]["content"]
    assert [t["function"]["name"] for t in requests[0]["tools"]] == ["bash", "write_file"]
    end = completed(run)
    assert end["status"] == "completed"
    assert end["claimed_success"] is True and end["verified"] is True


def test_the_terminal_shows_no_call_json_of_a_model_that_writes_calls_as_text(
    tmp_path: Path,
) -> None:
    script = [Reply(text=QWEN_FENCED_WRITE), Reply(text=QWEN_FENCED_RUN), Reply(text="Done.")]
    with ScriptedOpenAIServer(script) as srv:
        args = [a for a in exec_args(srv.base_url, *COMPACT, "create hello.py") if a != "--json"]
        run = run_kodo(args, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "write_file hello.py" in run.stdout and "$ python3 hello.py" in run.stdout
    assert "The output should be:" in run.stdout and "Done." in run.stdout
    assert '"name"' not in run.stdout and '"arguments"' not in run.stdout


def test_text_mode_sends_no_tools_and_describes_them_in_the_prompt(tmp_path: Path) -> None:
    hermes = (
        '<tool_call>\n{"name": "bash", "arguments": {"command": "echo hi > out.txt"}}\n</tool_call>'
    )
    script = [Reply(text=hermes), Reply(text="Wrote hi to out.txt and checked it.")]
    with ScriptedOpenAIServer(script) as srv:
        args = exec_args(srv.base_url, *COMPACT, *TEXT, "write hi to out.txt")
        run = run_kodo(args, cwd=tmp_path)
        requests = srv.requests
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out.txt").read_text() == "hi\n"
    assert all("tools" not in r for r in requests)
    system = requests[0]["messages"][0]["content"]
    assert "<tool_call>" in system and "- bash:" in system and "- write_file:" in system
    # The compact prompt stays small: a 1.5B model pays for every token on a CPU.
    assert len(system) < 3600


def test_file_block_writes_content_without_escaping(tmp_path: Path) -> None:
    body = 'def greet(name):\n    """Say \'hi\' to "name"."""\n    return f"hi {name}\\n"\n'
    script = [
        Reply(text=f"FILE: greet.py\n```python\n{body}```\n"),
        Reply(text="Created greet.py with greet(); it returns the greeting."),
        Reply(text="```bash\npython3 -c 'import greet'\n```"),
        Reply(text="Created greet.py with greet(); importing it works."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, *COMPACT, *TEXT, "write greet.py"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "greet.py").read_text() == body
    nudges = [e["text"] for e in run.of_type("user_message") if e["kind"] == "nudge"]
    assert len(nudges) == 1 and "nothing has shown that it works" in nudges[0]
    assert completed(run)["verified"] is True


def test_empty_and_one_word_replies_get_a_nudge_then_work_goes_on(tmp_path: Path) -> None:
    script = [
        Reply(text=""),
        Reply(text="Done."),
        Reply(tool_calls=[Call("bash", {"command": "echo 42 > answer.txt"})]),
        Reply(text="Wrote 42 to answer.txt."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, *COMPACT, "write 42 to answer.txt"), cwd=tmp_path)
        requests = srv.requests
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "answer.txt").read_text() == "42\n"
    nudges = [e for e in run.of_type("user_message") if e["kind"] == "nudge"]
    assert len(nudges) == 2
    assert "no tool call" in user_texts(requests[1])[-1]
    assert completed(run)["claimed_success"] is True


def test_the_nudge_budget_ends_a_session_that_never_acts(tmp_path: Path) -> None:
    script = [Reply(text=""), Reply(text="ok"), Reply(text="")]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, *COMPACT, "write 42 to answer.txt"), cwd=tmp_path)
        assert len(srv.requests) == 3
    end = completed(run)
    assert end["status"] == "completed"
    assert end["claimed_success"] is False and end["verified"] is False
    assert "no passing check" in run_kodo_plain_note(end)


def run_kodo_plain_note(end: dict) -> str:
    from kodo.events import SessionCompleted
    from kodo.records import read
    from kodo.ui.render import verdict_note

    return verdict_note(read(SessionCompleted, end))


def test_code_shown_instead_of_written_is_sent_back(tmp_path: Path) -> None:
    shown = "Here is the script:\n\n```python\nprint('Hello, World!')\n```\n\nSave it as hello.py."
    script = [
        Reply(text=shown),
        Reply(tool_calls=[Call("write_file", {"path": "hello.py", "content": "print(1)"})]),
        Reply(tool_calls=[Call("bash", {"command": "python3 hello.py"})]),
        Reply(text="Created hello.py as asked and it is done."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, *COMPACT, "create hello.py"), cwd=tmp_path)
        requests = srv.requests
    assert run.returncode == 0, run.stderr
    assert "only showed code" in user_texts(requests[1])[-1]
    assert (tmp_path / "hello.py").exists()


def test_a_repeated_failing_call_is_called_out(tmp_path: Path) -> None:
    failing = Call("bash", {"command": "python3 missing.py"})
    script = [
        Reply(tool_calls=[failing]),
        Reply(tool_calls=[failing]),
        Reply(text="missing.py does not exist, so I could not run it."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, *COMPACT, "run missing.py"), cwd=tmp_path)
    outputs = [r["output"] for r in run.tool_results]
    assert "already failed the same way" not in outputs[0]
    assert "already failed the same way" in outputs[1]
    end = completed(run)
    assert end["claimed_success"] is False


def test_a_call_to_the_users_function_names_the_real_tools(tmp_path: Path) -> None:
    # The task's function is called `search`; a small model called it as a tool.
    wrong = '```json\n{"name": "search", "arguments": {"items": [1, 3, 5], "target": 3}}\n```'
    script = [
        Reply(text=wrong),
        Reply(tool_calls=[Call("search", {"items": [1, 3], "target": 3})]),
        Reply(text="I could not finish."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(
            exec_args(srv.base_url, *COMPACT, "implement search(items, target) in lookup.py"),
            cwd=tmp_path,
        )
        requests = srv.requests
    nudge = user_texts(requests[1])[-1]
    assert "unknown tool 'search'" in nudge and "bash, write_file" in nudge
    assert "python3 -c" in nudge
    native = run.tool_results[0]
    assert not native["ok"] and "unknown tool 'search'" in native["output"]


def test_keyless_default_is_the_local_model_and_says_how_to_get_it(tmp_path: Path) -> None:
    run = run_kodo(["exec", "say hi"], cwd=tmp_path, env=kodo_env())
    assert run.returncode == 1
    assert "kodo model pull" in run.stderr
    assert "no API key" in run.stderr and "--provider" in run.stderr


def test_the_default_model_follows_the_provider(tmp_path: Path) -> None:
    with ScriptedAnthropicServer([Reply(text="Hello there, nothing to do.")]) as srv:
        args = ["exec", "--json", "--provider", "anthropic", "--base-url", srv.base_url, "hi"]
        run = run_kodo(args, cwd=tmp_path, env=kodo_env(ANTHROPIC_API_KEY="sk-test"))
        assert srv.requests[0]["model"] == "claude-sonnet-4-5"
    assert run.returncode == 0, run.stderr


def test_a_refused_connection_fails_fast_with_a_hint(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    args = exec_args(f"http://127.0.0.1:{port}/v1", "hi")
    run = run_kodo(args, cwd=tmp_path)
    assert run.returncode == 1
    assert len(run.of_type("retry")) <= 2
    error = run.of_type("error")[0]["message"]
    assert "could not reach" in error and "--provider local" in error
    assert json.loads(run.stdout.splitlines()[-1])["status"] == "error"


def test_a_reply_that_repeats_its_calls_is_cut_short(tmp_path: Path) -> None:
    # The real model at temperature 0 wrote these two blocks in turn until max_tokens (2048).
    block = '```json\n{\n  "name": "bash",\n  "arguments": {\n    "command": "%s"\n  }\n}\n```\n\n'
    run_block, cat_block = block % "python3 hello.py", block % "cat hello.py"
    (tmp_path / "hello.py").write_text("print('Hello, World!')\n")
    script = [
        Reply(text=(run_block + cat_block) * 40),
        Reply(text="hello.py prints Hello, World! as asked; the task is done."),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo(exec_args(srv.base_url, *COMPACT, "run hello.py"), cwd=tmp_path)
        requests = srv.requests
    assert run.returncode == 0, run.stderr
    commands = [json.loads(r["arguments"])["command"] for r in run.of_type("tool_call")]
    assert commands == ["python3 hello.py", "cat hello.py"]
    kept = next(m for m in requests[1]["messages"] if m["role"] == "assistant")
    assert kept["content"].count("<tool_call>") == 2


def test_a_model_stuck_repeating_a_turn_is_told_then_stopped(tmp_path: Path) -> None:
    # The real model sent these same three calls with the same results for 10 turns.
    calls = [
        Call("bash", {"command": "python3 -m fastapi run --port 8000"}),
        Call("bash", {"command": "curl -s http://localhost:8000/"}),
    ]
    with ScriptedOpenAIServer([Reply(tool_calls=calls)] * 6) as srv:
        run = run_kodo(exec_args(srv.base_url, *COMPACT, "add POST /add to app.py"), cwd=tmp_path)
        requests = srv.requests
    assert run.returncode == 1
    assert len(requests) == 4
    assert "exactly the same calls" in user_texts(requests[2])[-1]
    end = run.of_type("session_completed")[-1]
    assert end["status"] == "error" and "3 turns in a row" in end["error"]


def test_files_the_task_names_are_shown_to_a_small_model_first(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "listutils.py").write_text("def largest(xs):\n    return min(xs)\n")
    (tmp_path / "secret.txt").write_text("outside-the-workspace\n")
    task = "The test fails. Fix listutils.py (not ../secret.txt or missing.py)."
    with ScriptedOpenAIServer([Reply(text="I fixed largest() in listutils.py, done.")]) as srv:
        run = run_kodo(exec_args(srv.base_url, *COMPACT, task), cwd=ws)
        messages = srv.requests[0]["messages"]
    assert run.returncode == 0, run.stderr
    attached, prompt = messages[-2]["content"], messages[-1]["content"]
    assert prompt == task
    assert "FILE: listutils.py\n```\ndef largest(xs):\n    return min(xs)\n```" in attached
    assert "outside-the-workspace" not in attached and "missing.py" not in attached
    kinds = [e["kind"] for e in run.of_type("user_message")]
    assert kinds == ["attachment", "prompt"]
