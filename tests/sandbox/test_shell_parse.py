"""The shell-splitting parser approvals judge commands by: it must never see less than bash runs."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from kodo.sandbox.shell_parse import (
    MAX_NESTING,
    SimpleCommand,
    loose_words,
    shell_script,
    simple_commands,
)


def words(script: str) -> list[tuple[str, ...]] | None:
    commands = simple_commands(["bash", "-lc", script])
    return None if commands is None else [c.words for c in commands]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("ls -la", [("ls", "-la")]),
        ("a && b | c", [("a",), ("b",), ("c",)]),
        ("a; b || c & d |& e", [("a",), ("b",), ("c",), ("d",), ("e",)]),
        ("a&&b;c", [("a",), ("b",), ("c",)]),
        ("a\nb\n\nc\n", [("a",), ("b",), ("c",)]),
        ("(cd x && ls) | wc -l", [("cd", "x"), ("ls",), ("wc", "-l")]),
        ("( (a) ; b )", [("a",), ("b",)]),
        ("echo 'a; b' \"c && d\" e\\;f", [("echo", "a; b", "c && d", "e;f")]),
        ("ec\\\nho x", [("echo", "x")]),
        ("ls # ; rm -rf /", [("ls",)]),
        ("ls#x", [("ls#x",)]),
        ("ls 2>&1 >/dev/null", [("ls",)]),
        ("2>/dev/null ls &>/dev/null", [("ls",)]),
        ("cat < in.txt", [("cat",)]),
        ("ls >&2 1>&-", [("ls",)]),
        ('"2">/dev/null', [("2",)]),
        ("bash -c 'ls; sh -c \"rm x\"'", [("ls",), ("rm", "x")]),
        ("FOO=1 make", [("FOO=1", "make")]),
        ("", []),
    ],
)
def test_splits_into_simple_commands(script: str, expected: list[tuple[str, ...]]) -> None:
    assert words(script) == expected


@pytest.mark.parametrize(
    "script",
    [
        "echo $(rm x)",
        "echo `rm x`",
        "echo $HOME",
        'echo "$HOME"',
        'echo "`id`"',
        "$CMD push",
        "echo ${x}",
        "echo $'\\x41'",
        "cat <<EOF\nx\nEOF",
        "cat <<< x",
        "cat <(ls)",
        "tee >(sh)",
        "ls > out",
        "ls >> out",
        "ls 2> err",
        "ls &> out",
        "ls >| out",
        "ls >&out",
        "exec 3<>file",
        "ls > /dev/nul*",
        "if true; then rm x; fi",
        "for f in a; do rm $f; done",
        "{ rm x; }",
        "! rm x",
        "time rm x",
        "eval 'rm x'",
        "ls && eval rm x",
        "f() { rm x; }; f",
        "case x in x) rm y;; esac",
        "((x = 1))",
        "; ls",
        "ls && && ls",
        "| ls",
        "(ls",
        "ls)",
        "(ls) x",
        "x (ls)",
        "echo 'unterminated",
        'echo "unterminated',
        "trailing \\",
    ],
)
def test_gives_up_on_what_it_cannot_follow(script: str) -> None:
    assert words(script) is None


def test_words_that_bash_expands_are_marked() -> None:
    (command,) = simple_commands(["bash", "-lc", "sort *.txt"]) or []
    assert command == SimpleCommand(("sort", "*.txt"), expands=True)
    assert simple_commands(["bash", "-lc", "sort {-o,x}"])[0].expands  # type: ignore[index]
    assert not simple_commands(["bash", "-lc", "sort '*.txt'"])[0].expands  # type: ignore[index]
    # An argv runs without a shell: nothing expands.
    assert simple_commands(["sort", "*.txt"]) == [SimpleCommand(("sort", "*.txt"))]


def test_an_argv_is_one_simple_command_and_only_plain_shell_calls_are_opened() -> None:
    assert simple_commands(["git", "push"]) == [SimpleCommand(("git", "push"))]
    assert simple_commands([]) == []
    odd = ["bash", "-l", "-c", "ls; rm x"]  # not the 3-word form: taken as it stands
    assert simple_commands(odd) == [SimpleCommand(tuple(odd))]
    assert shell_script(["sh", "-c", "ls"]) == "ls"
    assert shell_script(["python", "-c", "x"]) is None


def test_nesting_has_a_limit() -> None:
    def nested(levels: int) -> list[str]:
        script = "ls"
        for _ in range(levels):
            script = f"bash -c {shlex.quote(script)}"
        return ["bash", "-lc", script]

    assert simple_commands(nested(MAX_NESTING - 1)) == [SimpleCommand(("ls",))]
    assert simple_commands(nested(MAX_NESTING)) is None


def test_loose_words_see_through_quotes_and_substitutions() -> None:
    assert loose_words(["bash", "-lc", "x=$(git push) && eval 'g''it push'"]) == [
        *("bash", "-lc", "x=", "git", "push", "eval", "git", "push"),
    ]
    assert loose_words(["sh -l -c 'git push'"]) == ["sh", "-l", "-c", "git", "push"]


DIFFERENTIAL = [
    "a x && b 'y z' | c",
    "a; b || c & d |& e; wait",
    "(a && b) | c -n",
    "a 2>&1 >/dev/null; b < /dev/null",
    'a "q;r" e\\;f\nb',
    "bash -c 'a; sh -c \"b x\"'",
    "a # ; b",
    "false || (c; (d))",
]


def test_bash_runs_nothing_the_parser_missed(tmp_path: Path) -> None:
    """Differential check against real bash: stub commands record how bash called them."""
    bin_dir, log = tmp_path / "bin", tmp_path / "log"
    bin_dir.mkdir()
    for name in "abcde":
        stub = bin_dir / name
        stub.write_text(
            '#!/bin/sh\nf=$(mktemp "$LOG/XXXXXX")\nprintf "%s\\0" "${0##*/}" "$@" > "$f"\n'
        )
        stub.chmod(0o755)
    for script in DIFFERENTIAL:
        log.mkdir()
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "LOG": str(log)}
        subprocess.run(["bash", "-c", script], env=env, timeout=10, check=False)
        ran = {tuple(f.read_text().split("\0")[:-1]) for f in log.iterdir()}
        parsed = set(words(script) or [])
        assert ran and ran <= parsed, script
        shutil.rmtree(log)
