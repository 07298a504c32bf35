"""The prompt: history kept across sessions, Alt-Enter for a new line (pastes keep theirs),
``@path`` completion relative to the workspace, and ``/command`` completion."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from kodo.config import kodo_home

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import CompleteEvent, Completion
    from prompt_toolkit.document import Document

MAX_PATH_MATCHES = 200


def _path_matches(cwd: Path, partial: str) -> list[str]:
    folder, _, stem = partial.rpartition("/")
    base = cwd / folder if folder else cwd
    try:
        entries = sorted(os.scandir(base), key=lambda e: e.name)
    except OSError:
        return []
    out = []
    for entry in entries:
        if not entry.name.startswith(stem) or (entry.name.startswith(".") and not stem):
            continue
        name = f"{folder}/{entry.name}" if folder else entry.name
        out.append(name + "/" if entry.is_dir() else name)
        if len(out) >= MAX_PATH_MATCHES:
            break
    return out


def make_completer(cwd: Path, commands: list[str]):
    from prompt_toolkit.completion import Completer, Completion

    class ShellCompleter(Completer):
        def get_completions(
            self, document: Document, complete_event: CompleteEvent
        ) -> Iterable[Completion]:
            before = document.text_before_cursor
            word = before.split(" ")[-1] if before else ""
            if word.startswith("@"):
                for match in _path_matches(cwd, word[1:]):
                    yield Completion("@" + match, start_position=-len(word))
            elif before.startswith("/") and " " not in before:
                for name in commands:
                    if name.startswith(before):
                        yield Completion(name, start_position=-len(before))

    return ShellCompleter()


def make_prompt_session(cwd: Path, commands: list[str]) -> PromptSession[str]:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event) -> None:
        event.current_buffer.insert_text("\n")

    home = kodo_home()
    home.mkdir(parents=True, exist_ok=True)
    return PromptSession(
        history=FileHistory(str(home / "history")),
        completer=make_completer(cwd, commands),
        complete_while_typing=True,
        key_bindings=bindings,
        multiline=False,
        prompt_continuation="  ",
        enable_history_search=False,
    )


_KEY_SEQUENCE = re.compile(rb"\x1b(\[[0-9;?]*[ -/]*[@-~]|O.|.)?", re.DOTALL)


class TypeAhead:
    """Keys typed while a turn runs, kept rather than lost: each finished line is sent as the
    next prompt, in order, and an unfinished one waits, pre-filled, at the next prompt."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.partial = ""

    def feed(self, data: bytes) -> None:
        for ch in _KEY_SEQUENCE.sub(b"", data).decode(errors="ignore"):
            if ch in "\r\n":
                if self.partial.strip():
                    self.lines.append(self.partial.strip())
                self.partial = ""
            elif ch in "\x7f\b":
                self.partial = self.partial[:-1]
            elif ch.isprintable():
                self.partial += ch

    def next_line(self) -> str | None:
        return self.lines.pop(0) if self.lines else None

    def take_partial(self) -> str:
        partial, self.partial = self.partial, ""
        return partial
