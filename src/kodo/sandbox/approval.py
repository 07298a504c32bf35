"""When to ask a person before a command runs, and whether it may leave the sandbox.

``untrusted`` asks before anything not known to be read-only; ``on-failure`` runs sandboxed and
offers a re-run outside the sandbox when that fails; ``on-request`` asks only when the model
wants out of the sandbox; ``never`` never asks. "always" answers are remembered per command
prefix for the rest of the session.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from kodo.config import ApprovalPolicy
from kodo.sandbox.base import ApprovalAnswer, ApprovalRequest, Approver

SAFE_COMMANDS = frozenset(
    {
        *("ls", "cat", "head", "tail", "grep", "rg", "find", "pwd", "wc", "echo", "which"),
        *("file", "stat", "du", "df", "tree", "diff", "sort", "uniq", "cut", "basename"),
        *("dirname", "realpath", "readlink", "date", "whoami", "id", "uname", "true", "false"),
        *("nl", "tac", "md5sum", "sha256sum"),
    }
)
SAFE_GIT = frozenset(["status", "diff", "log", "show", "blame", "ls-files", "rev-parse"])
_UNSAFE_FIND = frozenset(
    ["-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprintf", "-fls"]
)
_SHELL_META = (";", "&", "|", ">", "<", "$(", "`", "\n")
_SHELLS = frozenset({"bash", "sh", "zsh"})


def shell_script(argv: list[str]) -> str | None:
    """The script of ``bash -lc SCRIPT`` (and the like), else None."""
    if len(argv) == 3 and argv[0] in _SHELLS and argv[1] in ("-c", "-lc"):
        return argv[2]
    return None


def command_words(argv: list[str]) -> list[str] | None:
    """The words of a simple command; None for a script with any shell control syntax."""
    script = shell_script(argv)
    if script is None:
        return argv
    if any(meta in script for meta in _SHELL_META):
        return None
    try:
        return shlex.split(script)
    except ValueError:
        return None


def is_known_safe(argv: list[str]) -> bool:
    words = command_words(argv)
    if not words:
        return False
    name = words[0]
    if name == "git":
        return len(words) > 1 and words[1] in SAFE_GIT
    if name == "find":
        return not _UNSAFE_FIND.intersection(words)
    return name in SAFE_COMMANDS


def prefix(argv: list[str]) -> tuple[str, ...]:
    """What an "always" answer covers: the first two words of the command."""
    words = command_words(argv)
    return tuple((words if words is not None else argv)[:2])


@dataclass
class Decision:
    run: bool
    outside: bool = False  # run outside the sandbox
    message: str | None = None  # for the model when refused


NO_APPROVER = "approval was needed but nobody can be asked in this session; treated as no"


def refused(words: str | None) -> str:
    return "the command was refused by the person" + (f": {words}" if words else ".")


@dataclass
class ApprovalGate:
    """Applies one policy for a session and remembers its "always" answers."""

    policy: ApprovalPolicy
    approver: Approver | None
    always: set[tuple[tuple[str, ...], bool]] = field(default_factory=set)

    def _ask(self, argv: list[str], cwd: Path, reason: str | None, escalate: bool) -> Decision:
        key = (prefix(argv), escalate)
        if key in self.always:
            return Decision(True, escalate)
        if self.approver is None:
            return Decision(False, message=NO_APPROVER)
        answer: ApprovalAnswer
        answer, words = self.approver.ask(ApprovalRequest(argv, cwd, reason, escalate))
        if answer == "always":
            self.always.add(key)
        if answer in ("yes", "always"):
            return Decision(True, escalate)
        return Decision(False, message=refused(words))

    def before(
        self, argv: list[str], cwd: Path, *, escalate: bool, justification: str | None
    ) -> Decision:
        if self.policy == "on-request" and escalate:
            return self._ask(argv, cwd, justification or "no justification given", True)
        if self.policy == "untrusted" and not is_known_safe(argv):
            return self._ask(argv, cwd, None, False)
        return Decision(True)

    def after_failure(self, argv: list[str], cwd: Path, what: str) -> Decision:
        """Under on-failure: may a command that failed in the sandbox run again outside it?"""
        if self.policy != "on-failure":
            return Decision(False)
        return self._ask(argv, cwd, f"it failed in the sandbox ({what})", True)


@dataclass
class ScriptedApprover:
    """Answers from a list, in order, and records every request (tests, scripted UIs).
    Runs out as "no"."""

    answers: list[ApprovalAnswer | tuple[ApprovalAnswer, str | None]]
    requests: list[ApprovalRequest] = field(default_factory=list)

    def ask(self, request: ApprovalRequest) -> tuple[ApprovalAnswer, str | None]:
        self.requests.append(request)
        if not self.answers:
            return "no", "no scripted answer left"
        answer = self.answers.pop(0)
        return answer if isinstance(answer, tuple) else (answer, None)
