"""Splits a shell command into the simple commands it runs, for approvals.

Approvals judge each simple command of ``bash -lc 'a && b | c'`` on its own, so the parser must
never see less than bash runs. It understands a small, common subset (words, quoting, ``;``
``&`` ``&&`` ``||`` ``|`` ``|&``, newlines, comments, subshell parentheses, fd duplication,
output to ``/dev/null``, input from a file) and gives up, returning None, on anything whose
effect depends on what runs: ``$`` expansions, backquotes, here-documents, process
substitution, output to a file, reserved words (``if``, ``{``, ``time``...) and ``eval``, which
runs text as a new script. A caller treats None as "not known to be safe, and not covered by
'always'".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SHELLS = frozenset({"bash", "sh", "zsh", "dash"})
SHELL_FLAGS = frozenset({"-c", "-lc"})
# Words that, as a command, start syntax the parser does not follow.
NOT_FOLLOWED = frozenset(
    {
        *("!", "{", "}", "[[", "]]", "if", "then", "else", "elif", "fi", "case", "esac"),
        *("for", "select", "while", "until", "do", "done", "function", "time", "coproc"),
        "eval",  # a builtin, not a reserved word, but it too hides what runs
    }
)
SEPARATORS = frozenset({";", "&", "&&", "||", "|", "|&", "\n"})
MAX_NESTING = 4  # bash -c 'bash -c "..."' deeper than this is not analysed
_METACHARS = " \t\n;&|()<>"
_GLOB = "*?[{"  # unquoted, these make bash expand a word into others (pathnames, braces)
_LOOSE_SPLIT = re.compile(r"[\s;&|()<>`${},]+")


class Unanalysable(ValueError):
    """The script uses shell syntax this parser does not follow."""


@dataclass(frozen=True)
class SimpleCommand:
    words: tuple[str, ...]
    # A word is subject to pathname or brace expansion, so bash may run other words than these.
    expands: bool = False


def shell_script(argv: list[str]) -> str | None:
    """The script of ``bash -lc SCRIPT`` (and the like), else None."""
    if len(argv) == 3 and argv[0] in SHELLS and argv[1] in SHELL_FLAGS:
        return argv[2]
    return None


def simple_commands(argv: list[str]) -> list[SimpleCommand] | None:
    """The simple commands ``argv`` runs, scripts of nested ``bash -c`` included; None when
    the parser cannot tell."""
    if not argv:
        return []
    try:
        return _expand(SimpleCommand(tuple(argv)), 0)
    except Unanalysable:
        return None


def loose_words(words: Sequence[str]) -> list[str]:
    """Every word-like piece of ``words``, quotes dropped and split at shell syntax: what
    restricting rules are matched against, so ``$(git push)``, ``eval 'git push'`` and
    ``sh -l -c 'git push'`` still show the words ``git push``."""
    text = re.sub(r"['\"\\]", "", " ".join(words))
    return [w for w in _LOOSE_SPLIT.split(text) if w]


def _expand(command: SimpleCommand, depth: int) -> list[SimpleCommand]:
    script = shell_script(list(command.words))
    if script is None or command.expands:
        return [command]
    if depth >= MAX_NESTING:
        raise Unanalysable("shells nested too deep")
    return [inner for c in parse(script) for inner in _expand(c, depth + 1)]


@dataclass
class _Word:
    text: str
    quoted: bool  # some part was quoted or escaped
    expands: bool


def _tokens(script: str) -> list[_Word | str]:
    """Words and operators (as plain strings); raises Unanalysable."""
    out: list[_Word | str] = []
    i, n = 0, len(script)
    chars: list[str] = []
    started = quoted = expands = False

    def end_word() -> None:
        nonlocal started, quoted, expands
        if started:
            out.append(_Word("".join(chars), quoted, expands))
        chars.clear()
        started = quoted = expands = False

    while i < n:
        c = script[i]
        if c in "$`":
            raise Unanalysable(f"{c} expansion")
        if c == "\\":
            if i + 1 >= n:
                raise Unanalysable("trailing backslash")
            if script[i + 1] != "\n":  # backslash-newline joins lines
                chars.append(script[i + 1])
                started = quoted = True
            i += 2
            continue
        if c == "'":
            close = script.find("'", i + 1)
            if close < 0:
                raise Unanalysable("unterminated quote")
            chars.append(script[i + 1 : close])
            started = quoted = True
            i = close + 1
            continue
        if c == '"':
            i = _double_quoted(script, i + 1, chars)
            started = quoted = True
            continue
        if c == "#" and not started:
            newline = script.find("\n", i)
            i = n if newline < 0 else newline
            continue
        if c not in _METACHARS:
            chars.append(c)
            started = True
            expands = expands or c in _GLOB
            i += 1
            continue
        if c in "<>" and started and not quoted and "".join(chars).isdigit():
            chars.clear()  # "2>": a file descriptor number, not a word
            started = False
        end_word()
        if c in " \t":
            i += 1
            continue
        op = _operator(script, i)
        out.append(op)
        i += len(op)
    end_word()
    return out


def _double_quoted(script: str, i: int, chars: list[str]) -> int:
    """Reads a double-quoted string's content from ``i``; returns the index after its end."""
    while i < len(script):
        c = script[i]
        if c == '"':
            return i + 1
        if c in "$`":
            raise Unanalysable(f"{c} expansion in double quotes")
        if c == "\\" and i + 1 < len(script) and script[i + 1] in '$`"\\\n':
            if script[i + 1] != "\n":
                chars.append(script[i + 1])
            i += 2
            continue
        chars.append(c)
        i += 1
    raise Unanalysable("unterminated quote")


_REFUSED_OPERATORS = {
    ";;": "case syntax",
    ";&": "case syntax",
    "<<": "here-document",
    "<>": "read-write redirection",
    "<(": "process substitution",
    ">(": "process substitution",
    "((": "arithmetic",
}
REDIRECTIONS = frozenset({"<", ">", ">>", ">|", "<&", ">&", "&>", "&>>"})
# Longest first, so "&&" is read as one operator rather than two "&".
_OPERATORS = sorted(
    {*SEPARATORS, "(", ")", *REDIRECTIONS, *_REFUSED_OPERATORS}, key=len, reverse=True
)


def _operator(script: str, i: int) -> str:
    op = next(op for op in _OPERATORS if script.startswith(op, i))
    if op in _REFUSED_OPERATORS:
        raise Unanalysable(_REFUSED_OPERATORS[op])
    return op


def parse(script: str) -> list[SimpleCommand]:
    """The simple commands of one script, in order; raises Unanalysable."""
    commands: list[SimpleCommand] = []
    words: list[_Word] = []
    depth = 0
    after_group = False  # just closed a subshell: only operators and redirections may follow
    tokens = _tokens(script)
    i = 0

    def end(separator: str | None) -> None:
        nonlocal after_group
        if words:
            if words[0].text in NOT_FOLLOWED and not words[0].quoted:
                raise Unanalysable(f"{words[0].text!r} as a command")
            expands = any(w.expands for w in words)
            commands.append(SimpleCommand(tuple(w.text for w in words), expands))
            words.clear()
        elif separator not in (None, "\n") and not after_group:
            raise Unanalysable(f"empty command before {separator!r}")
        after_group = False

    while i < len(tokens):
        token = tokens[i]
        i += 1
        if isinstance(token, _Word):
            if after_group:
                raise Unanalysable("a word after a subshell")
            words.append(token)
        elif token in SEPARATORS:
            end(token)
        elif token == "(":
            if words or after_group:
                raise Unanalysable("parenthesis inside a command")
            depth += 1
        elif token == ")":
            end(None)
            depth -= 1
            if depth < 0:
                raise Unanalysable("unbalanced parenthesis")
            after_group = True
        else:
            target = tokens[i] if i < len(tokens) else None
            if not isinstance(target, _Word):
                raise Unanalysable(f"redirection {token!r} without a target")
            _check_redirection(token, target)
            i += 1
    end(None)
    if depth:
        raise Unanalysable("unbalanced parenthesis")
    return commands


def _check_redirection(op: str, target: _Word) -> None:
    """Reading a file, duplicating descriptors and discarding output are harmless; anything
    that writes to a file is not analysed."""
    if target.expands:
        raise Unanalysable("redirection to a pattern")
    if op in ("<&", ">&") and (target.text.isdigit() or target.text == "-"):
        return
    if op == "<":
        return
    if target.text != "/dev/null":
        raise Unanalysable(f"output redirected to {target.text!r}")
