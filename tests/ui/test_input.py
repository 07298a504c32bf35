"""The prompt's completions: ``@path`` relative to the workspace and ``/command``."""

from __future__ import annotations

from pathlib import Path

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from kodo.ui.input import TypeAhead, make_completer


def completions(cwd: Path, text: str) -> list[str]:
    completer = make_completer(cwd, ["/diff", "/undo", "/help"])
    return [c.text for c in completer.get_completions(Document(text), CompleteEvent())]


def test_at_completes_paths_in_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "main.py").write_text("")
    (tmp_path / ".hidden").write_text("")
    assert completions(tmp_path, "look at @") == ["@src/"]
    assert completions(tmp_path, "look at @src/") == ["@src/main.py", "@src/pkg/"]
    assert completions(tmp_path, "@src/m") == ["@src/main.py"]
    assert completions(tmp_path, "@.h") == ["@.hidden"]
    assert completions(tmp_path, "@nowhere/x") == []


def test_slash_completes_commands_only_at_the_start(tmp_path: Path) -> None:
    assert completions(tmp_path, "/u") == ["/undo"]
    assert completions(tmp_path, "say /u") == []


def test_typeahead_keeps_finished_lines_in_order_and_the_unfinished_rest() -> None:
    ahead = TypeAhead()
    ahead.feed(b"first\r")
    ahead.feed(b"sec\x1b[Dond\x7f\x7f\x7fond\n\r")  # an arrow key, backspaces, an empty line
    ahead.feed(b"/sta")
    assert ahead.next_line() == "first"
    assert ahead.next_line() == "second"
    assert ahead.next_line() is None
    assert ahead.take_partial() == "/sta"
    assert ahead.take_partial() == ""
