"""The interactive shell, driven in tmux like a person would: the real program, the real sandbox,
a scripted model over HTTP. Assertions are on what the screen shows and what files contain."""

from __future__ import annotations

import random
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kodo.session.store import all_rollouts, read_events
from tests.e2e.harness import kodo_env, run_kodo
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply
from tests.processes import processes_matching
from tests.ui.helpers import patch_add, wait_until
from tests.ui.tmux import TmuxShell


def model_args(base_url: str, *more: str) -> list[str]:
    return ["--provider", "openai-chat", "--base-url", base_url, "-m", "scripted", *more]


@contextmanager
def shell(args: list[str], cwd: Path) -> Iterator[TmuxShell]:
    term = TmuxShell(args, cwd=cwd, env=kodo_env())
    try:
        term.wait_prompt()
        yield term
    finally:
        term.close()


def tool_messages(request: dict) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "tool"]


ROWS = "for i in 1 2 3 4 5 6; do echo row-$i; done"


def test_a_turn_runs_a_command_applies_a_patch_and_shows_both(tmp_path: Path) -> None:
    script = [
        Reply(
            text="Let me look first.",
            tool_calls=[Call("shell", {"command": ["bash", "-c", ROWS]})],
        ),
        Reply(tool_calls=[Call("apply_patch", {"patch": patch_add("notes.txt", "kodo-was-here")})]),
        Reply(text="Wrote **notes.txt** after counting rows."),
    ]
    with ScriptedOpenAIServer(script) as srv, shell(model_args(srv.base_url), tmp_path) as term:
        start = term.mark()
        term.type("count rows then write notes")
        screen = term.wait_for(r"Wrote notes\.txt after counting rows", after=start)
        term.wait_prompt(after=start)
        screen = term.screen()[start:]
        assert "$ for i in 1 2 3 4 5 6; do echo row-$i; done" in screen
        assert "row-6" in screen and "row-1" not in screen  # the card keeps the last lines
        assert "exit 0" in screen and "2 more lines (/last)" in screen
        assert "+kodo-was-here" in screen  # the patch, as a diff
        assert "in /" in screen and "out tokens" in screen  # the status line
        before_last = term.mark()
        term.type("/last")
        assert "row-1" in term.wait_for(r"row-6", after=before_last)[before_last:]
        term.type("/quit")
        assert term.exit_code() == 0
    assert (tmp_path / "notes.txt").read_text() == "kodo-was-here\n"
    events = read_events(all_rollouts()[0])
    assert events[-1].type == "session_completed" and events[-1].status == "completed"


def test_ctrl_c_mid_command_stops_it_and_the_session_goes_on(tmp_path: Path) -> None:
    marker = f"{random.randint(1000, 9999)}.5"
    script = [
        Reply(tool_calls=[Call("shell", {"command": ["sleep", marker]})]),
        Reply(text="still here after the interrupt"),
    ]
    with ScriptedOpenAIServer(script) as srv, shell(model_args(srv.base_url), tmp_path) as term:
        start = term.mark()
        term.type("sleep for a long time")
        term.wait_for(rf"sleep {marker}", after=start)
        assert wait_until(lambda: processes_matching(f"sleep {marker}"))
        term.keys("C-c")
        term.wait_for(r"interrupted: the session goes on", after=start)
        assert wait_until(lambda: not processes_matching(f"sleep {marker}"))
        term.wait_prompt(after=start)
        again = term.mark()
        term.type("are you there?")
        term.wait_for(r"still here after the interrupt", after=again)
        # the interrupted call was answered, so the conversation stayed valid for the provider
        assert any("signal" in out or "interrupt" in out for out in tool_messages(srv.requests[1]))
        term.keys("C-d")
        assert term.exit_code() == 0


def test_closing_the_terminal_ends_kodo_its_command_and_its_session(tmp_path: Path) -> None:
    """A closed terminal hangs up on kodo: at the prompt, while keys arrive, or while a command
    runs, kodo exits, the command with it, and the session file ends whole. kodo used to outlive
    its terminal now and then (seen in CI): the exit, raised inside prompt_toolkit's event
    loop, could leave asyncio waiting for a task that never finished cancelling."""
    marker = f"{random.randint(1000, 9999)}.25"
    moments = {
        "idle at the prompt": lambda term: None,
        "keys arriving": lambda term: term.keys("-l", "half a prompt " * 200),
        "a command running": lambda term: (
            term.type("sleep"),
            term.wait_for(rf"sleep {marker}"),
            wait_until(lambda: processes_matching(f"sleep {marker}")),
        ),
    }
    for moment, act in moments.items():
        script = [Reply(tool_calls=[Call("shell", {"command": ["sleep", marker]})])]
        with ScriptedOpenAIServer(script) as srv:
            term = TmuxShell(model_args(srv.base_url), cwd=tmp_path, env=kodo_env())
            try:
                term.wait_prompt()
                assert processes_matching(srv.base_url)
                act(term)
            finally:
                term.close()
            assert wait_until(lambda: not processes_matching(srv.base_url)), moment
            assert not processes_matching(f"sleep {marker}"), moment
    (rollout,) = all_rollouts()  # a session unused at the prompt leaves no file
    ends = [e for e in read_events(rollout) if e.type == "session_completed"]
    assert [e.status for e in ends] == ["interrupted"]


def test_esc_while_the_model_is_silent_interrupts_the_turn(tmp_path: Path) -> None:
    release = threading.Event()

    def stall(request: dict) -> Reply:
        release.wait(30)
        return Reply(text="too late to be shown")

    script = [stall, Reply(text="answered the second prompt")]
    with ScriptedOpenAIServer(script) as srv, shell(model_args(srv.base_url), tmp_path) as term:
        start = term.mark()
        term.type("take your time")
        term.wait_for(r"esc to interrupt", after=start)
        term.keys("Escape")
        term.wait_for(r"interrupted: the session goes on", after=start)
        release.set()
        term.wait_prompt(after=start)
        again = term.mark()
        term.type("next")
        screen = term.wait_for(r"answered the second prompt", after=again)
        assert "too late to be shown" not in screen


def test_keys_typed_during_a_turn_become_the_next_prompts(tmp_path: Path) -> None:
    release = threading.Event()

    def slow(request: dict) -> Reply:
        release.wait(30)
        return Reply(text="answered the first prompt")

    script = [slow, Reply(text="answered the typed-ahead prompt")]
    with ScriptedOpenAIServer(script) as srv, shell(model_args(srv.base_url), tmp_path) as term:
        start = term.mark()
        term.type("first")
        term.wait_for(r"esc to interrupt", after=start)
        term.type("typed while busy")
        term.keys("/", "s", "t", "a")
        release.set()
        screen = term.wait_for(r"answered the typed-ahead prompt", after=start)[start:]
        assert screen.index("answered the first prompt") < screen.index("› typed while busy")
        term.wait_for(r"› /sta", after=start)
    assert srv.requests[1]["messages"][-1]["content"] == "typed while busy"


def test_approvals_answered_yes_no_explained_and_always(tmp_path: Path) -> None:
    script = [
        Reply(tool_calls=[Call("shell", {"command": "touch approved.txt"})]),
        Reply(text="made it"),
        Reply(tool_calls=[Call("shell", {"command": "touch refused.txt"})]),
        Reply(text="did not make it"),
        Reply(tool_calls=[Call("shell", {"command": "touch explained.txt"})]),
        Reply(text="understood why"),
        Reply(tool_calls=[Call("shell", {"command": "mkdir -p d1 && mkdir -p d2"})]),
        Reply(tool_calls=[Call("shell", {"command": "mkdir -p d2"})]),
        Reply(text="second folder too"),
    ]
    with (
        ScriptedOpenAIServer(script) as srv,
        shell(model_args(srv.base_url, "-a", "untrusted"), tmp_path) as term,
    ):
        start = term.mark()
        term.type("make approved.txt")
        screen = term.wait_for(r"allow\?", after=start)[start:]
        assert "$ touch approved.txt" in screen and "workspace-write sandbox" in screen
        term.keys("y")  # one key, no Enter
        term.wait_for(r"made it", after=start)
        assert (tmp_path / "approved.txt").exists()

        second = term.mark()
        term.type("make refused.txt")
        term.wait_for(r"allow\?", after=second)
        term.keys("n")  # one key, no Enter
        term.wait_for(r"did not make it", after=second)
        assert not (tmp_path / "refused.txt").exists()
        assert "refused" in tool_messages(srv.requests[3])[-1]

        third = term.mark()
        term.type("make explained.txt")
        term.wait_for(r"allow\?", after=third)
        term.keys("e")  # one key, no Enter
        term.wait_for(r"tell kodo why", after=third)
        term.type("use the tmp folder instead")
        term.wait_for(r"understood why", after=third)
        assert not (tmp_path / "explained.txt").exists()
        assert "use the tmp folder instead" in tool_messages(srv.requests[5])[-1]

        fourth = term.mark()
        term.type("make two folders")
        term.wait_for(r"allow\?", after=fourth)
        term.keys("a")  # one key, no Enter
        term.wait_for(r"second folder too", after=fourth)
        screen = term.screen()[fourth:]
        assert screen.count("allow?") == 1  # "always" covered `mkdir -p d2` of the first script
        assert (tmp_path / "d1").is_dir() and (tmp_path / "d2").is_dir()
        assert "exit code 0" in tool_messages(srv.requests[-1])[-1]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def git_state(repo: Path) -> dict[str, str]:
    return {
        "head": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "symbolic-ref", "HEAD"),
        "index": git(repo, "ls-files", "--stage"),
        "staged": git(repo, "diff", "--cached"),
        "stash": git(repo, "stash", "list"),
        "refs": git(repo, "for-each-ref"),
    }


EDIT = "echo \"print('by kodo')\" > app.py && echo new > new.txt"


def test_diff_and_undo_restore_files_and_leave_git_state_alone(tmp_path: Path) -> None:
    repo = tmp_path
    git(repo, "init", "-q", "-b", "work")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    (repo / "app.py").write_text("print('v1')\n")
    (repo / "keep.txt").write_text("stashed base\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "one")
    (repo / "keep.txt").write_text("stashed change\n")
    git(repo, "stash", "-q")
    (repo / "app.py").write_text("print('v2 staged')\n")
    git(repo, "add", "app.py")
    (repo / "app.py").write_text("print('v3 in the tree')\n")
    before = git_state(repo)

    script = [
        Reply(tool_calls=[Call("shell", {"command": EDIT})]),
        Reply(text="edited app.py and added new.txt"),
    ]
    with ScriptedOpenAIServer(script) as srv, shell(model_args(srv.base_url), repo) as term:
        start = term.mark()
        term.type("edit things")
        term.wait_for(r"edited app\.py and added new\.txt", after=start)
        assert (repo / "new.txt").exists()
        shown = term.mark()
        term.type("/diff")
        screen = term.wait_for(r"\+new", after=shown)[shown:]
        assert "-print('v3 in the tree')" in screen and "+print('by kodo')" in screen
        undone = term.mark()
        term.type("/undo")
        term.wait_for(r"restored 2 file\(s\)", after=undone)
        term.type("/quit")
        assert term.exit_code() == 0
    assert (repo / "app.py").read_text() == "print('v3 in the tree')\n"
    assert not (repo / "new.txt").exists()
    assert git_state(repo) == before


def test_model_switch_mid_session_and_bad_input(tmp_path: Path) -> None:
    script = [Reply(text="first answer"), Reply(text="second answer")]
    priced = ["-c", "prices.scripted.input=1000", "-c", "prices.scripted.output=1000"]
    with (
        ScriptedOpenAIServer(script) as srv,
        shell(model_args(srv.base_url, *priced), tmp_path) as term,
    ):
        start = term.mark()
        term.type("hello")
        term.wait_for(r"first answer", after=start)
        # the cost from the price table, then the next prompt: the screen above is final now
        term.wait_for(r"out tokens · \$\d+\.\d{4} · [\d.]+s\n›", after=start)
        switched = term.mark()
        term.type("/model other-model")
        term.wait_for(r"model: other-model \(openai-chat\)", after=switched)
        bad = term.mark()
        term.type("/model x --provider nope")
        term.wait_for(r"not changed: provider", after=bad)
        term.type("/frobnicate")
        term.wait_for(r"unknown command /frobnicate", after=bad)
        term.type("/status")
        term.wait_for(r"model\s+other-model", after=bad)
        last = term.mark()
        term.type("and now?")
        term.wait_for(r"second answer", after=last)
    assert srv.requests[0]["model"] == "scripted"
    assert srv.requests[1]["model"] == "other-model"


def test_resume_shows_the_history_and_continues(tmp_path: Path) -> None:
    first = [Reply(text="The secret word is pelican.")]
    with ScriptedOpenAIServer(first) as srv, shell(model_args(srv.base_url), tmp_path) as term:
        term.type("tell me a secret")
        term.wait_for(r"pelican")
        term.type("/quit")
        assert term.exit_code() == 0
    script = [Reply(text="You asked for a secret."), Reply(text="Still the same session.")]
    with ScriptedOpenAIServer(script) as srv:
        term = TmuxShell(["resume", *model_args(srv.base_url)], cwd=tmp_path, env=kodo_env())
        try:
            term.wait_for(r"session to resume")
            assert "tell me a secret" in term.screen()
            term.type("1")
            screen = term.wait_prompt()
            assert "› tell me a secret" in screen and "The secret word is pelican." in screen
            start = term.mark()
            term.type("what did I ask?")
            term.wait_for(r"You asked for a secret", after=start)
            term.type("/quit")
            assert term.exit_code() == 0
        finally:
            term.close()
        term = TmuxShell(
            ["resume", "--last", *model_args(srv.base_url)], cwd=tmp_path, env=kodo_env()
        )
        try:
            screen = term.wait_prompt()
            assert "You asked for a secret." in screen
            start = term.mark()
            term.type("again?")
            term.wait_for(r"Still the same session", after=start)
        finally:
            term.close()
    contents = [m["content"] for m in srv.requests[1]["messages"]]
    assert "tell me a secret" in contents and "what did I ask?" in contents
    assert len(all_rollouts()) == 1


def test_without_a_terminal_the_shell_reads_lines_and_prints_plain_text(tmp_path: Path) -> None:
    script = [Reply(text="Plain **answer** here."), Reply(text="Second answer.")]
    with ScriptedOpenAIServer(script) as srv:
        args = [*model_args(srv.base_url), "first prompt from the command line"]
        run = run_kodo(args, cwd=tmp_path, stdin="second\n/bogus\n/quit\n")
    assert run.returncode == 0
    assert "● Plain **answer** here." in run.stdout and "Second answer." in run.stdout
    assert "› first prompt from the command line" in run.stdout
    assert "\x1b[" not in run.stdout
    assert "unknown command /bogus" in run.stdout
    assert srv.requests[0]["messages"][-1]["content"] == "first prompt from the command line"
