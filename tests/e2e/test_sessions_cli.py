"""Coming back to work, through the real program: resuming as the README writes it (the recorded
model and server carry over), `kodo sessions`, the shell's goodbye, /status, the prompt echo,
a mistyped sub-command and a mistyped config key."""

from __future__ import annotations

import re
from pathlib import Path

from kodo.session.store import all_rollouts, read_events, session_id_of
from tests.e2e.harness import kodo_env, run_kodo
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Fault, Reply
from tests.ui.tmux import TmuxShell


def model_args(base_url: str, *more: str) -> list[str]:
    return ["--provider", "openai-chat", "--base-url", base_url, "-m", "scripted", *more]


def test_exec_resume_last_as_the_readme_writes_it_keeps_the_model_and_server(
    tmp_path: Path,
) -> None:
    script = [Reply(text="added the flag"), Reply(text="added tests"), Reply(text="renamed")]
    with ScriptedOpenAIServer(script) as srv:
        first = run_kodo(["exec", *model_args(srv.base_url), "add a --verbose flag"], cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        # no flags at all: without the recorded server this would fall back to the local model
        again = run_kodo(["exec", "resume", "--last", "now add tests for it"], cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        session_id = session_id_of(all_rollouts()[0])
        other = run_kodo(["exec", "resume", session_id[:8], "-m", "renamed", "go"], cwd=tmp_path)
        assert other.returncode == 0, other.stderr
    assert [r["model"] for r in srv.requests] == ["scripted", "scripted", "renamed"]
    contents = [m["content"] for m in srv.requests[1]["messages"]]
    assert "add a --verbose flag" in contents and contents[-1] == "now add tests for it"
    assert len(all_rollouts()) == 1
    started = [e for e in read_events(all_rollouts()[0]) if e.type == "session_started"]
    assert [e.base_url for e in started] == [srv.base_url] * 3


def test_sessions_lists_directories_and_hides_sessions_the_model_never_answered(
    tmp_path: Path,
) -> None:
    answered, failed = tmp_path / "answered", tmp_path / "failed"
    answered.mkdir()
    failed.mkdir()
    script = [Reply(text="hello"), Fault(401, message="bad key")]
    with ScriptedOpenAIServer(script) as srv:
        assert run_kodo(["exec", *model_args(srv.base_url), "say hi"], cwd=answered).returncode == 0
        assert run_kodo(["exec", *model_args(srv.base_url), "fail"], cwd=failed).returncode == 1
    listed = run_kodo(["sessions"], cwd=tmp_path)
    assert listed.returncode == 0
    rows = listed.stdout.splitlines()
    assert rows[0].split("\t") == ["id", "started", "status", "model", "directory", "prompt"]
    assert len(rows) == 2 and rows[1].split("\t")[4:] == [str(answered), "say hi"]
    everything = run_kodo(["sessions", "--all"], cwd=tmp_path).stdout
    assert str(failed) in everything and str(answered) in everything


def test_a_mistyped_command_is_not_sent_to_the_model(tmp_path: Path) -> None:
    with ScriptedOpenAIServer([Reply(text="on it")]) as srv:
        typo = run_kodo(["exce", *model_args(srv.base_url), "fix the bug"], cwd=tmp_path)
        assert typo.returncode == 2
        assert "did you mean `kodo exec`?" in typo.stderr
        assert not srv.requests and not all_rollouts()
        prompt = run_kodo([*model_args(srv.base_url), "fix", "the", "bug"], cwd=tmp_path, stdin="")
    assert prompt.returncode == 0
    assert srv.requests[0]["messages"][-1]["content"] == "fix the bug"


def test_a_mistyped_config_key_names_the_file_and_the_nearest_key(
    tmp_path: Path, kodo_home: Path
) -> None:
    config = kodo_home / "config.toml"
    config.write_text("max_turn = 5\n[limits]\nmemry_mb = 512\n")
    run = run_kodo(["exec", "--provider", "openai-chat", "hi"], cwd=tmp_path)
    assert run.returncode == 2
    assert f"{config}: unknown key 'max_turn' (did you mean 'max_turns'?)" in run.stderr
    assert f"{config}: unknown key 'limits.memry_mb' (did you mean 'limits.memory_mb'?)" in (
        run.stderr
    )
    config.write_text("")
    flag = run_kodo(["exec", "-c", "max_turns=many", "hi"], cwd=tmp_path)
    assert flag.returncode == 2 and "--config max_turns=many: max_turns:" in flag.stderr
    assert config.read_text() == "" and not all_rollouts()  # nothing written, nothing lost


def test_the_shell_echoes_the_prompt_shows_status_and_says_how_to_resume(tmp_path: Path) -> None:
    script = [Reply(text="first answer"), Reply(text="welcome back")]
    with ScriptedOpenAIServer(script) as srv:
        args = [*model_args(srv.base_url), "-c", "context_window=10000", "the first prompt"]
        term = TmuxShell(args, cwd=tmp_path, env=kodo_env())
        try:
            screen = term.wait_prompt(after=0)
            assert "› the first prompt" in screen and "● first answer" in screen
            start = term.mark()
            term.type("/status")
            screen = term.wait_for(r"context .*", after=start)[start:]
            assert "cost      no price set for scripted" in screen
            assert re.search(r"context   [\d,]+ of 10,000 tokens \(\d+%\)", screen)
            term.keys("C-d")
            assert term.exit_code() == 0
            screen = term.screen()
        finally:
            term.close()
        session_id = session_id_of(all_rollouts()[0])
        assert re.search(r"[\d,]+ in / [\d,]+ out tokens\n", screen)
        assert f"resume this session with: kodo resume {session_id[:8]}" in screen
        term = TmuxShell(["resume", session_id[:8]], cwd=tmp_path, env=kodo_env())
        try:
            term.wait_prompt()
            start = term.mark()
            term.type("hello again")
            term.wait_for(r"welcome back", after=start)
        finally:
            term.close()
    assert srv.requests[1]["messages"][-1]["content"] == "hello again"
