"""When to ask a person before a command runs or a file is edited, and whether a command may
leave the sandbox.

``untrusted`` asks before anything not known to be read-only, file edits included;
``on-failure`` runs sandboxed and offers a re-run outside the sandbox when that fails;
``on-request`` asks only when the model wants out of the sandbox; ``never`` never asks.
Whatever the policy, the person's ``[[approval.rules]]`` deny or ask first, and edits to
``.git``/``.kodo`` (where git and kodo find hooks and settings that run code) are asked about.

Commands are judged per simple command (``shell_parse``): a script is known-safe, allowed by a
rule or covered by an "always" answer only if each of its simple commands is, and "always"
remembers exact words, never a prefix. A script the parser cannot follow is none of these.
MCP tool calls run outside the sandbox in the server's process: ``mcp_asks`` judges them by the
server's annotations of the tool, and "always" covers one tool of one server.

A tool describes what it needs approved as an ``Ask`` (a command, file edits, a cluster job, an
MCP call); ``ApprovalGate.decide`` answers any of them, once per call (``tools/approve.py``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from kodo.config import ApprovalPolicy, ApprovalRule, SandboxMode, kodo_home
from kodo.sandbox.base import ApprovalAnswer, ApprovalRequest, Approver, McpCall
from kodo.sandbox.shell_parse import SimpleCommand, loose_words, simple_commands

if TYPE_CHECKING:
    from kodo.tools.base import ToolContext

Check = Callable[[tuple[str, ...], bool], bool]  # (arguments, expands) -> safe


def _option_forbidden(word: str, short: str, long: tuple[str, ...]) -> bool:
    """Whether ``word`` is, or bundles, one of the options. GNU tools accept any unambiguous
    prefix of a long option (``--out=x`` for ``--output=x``), so every prefix counts."""
    if word.startswith("--"):
        name = word[2:].partition("=")[0]
        return bool(name) and any(option.startswith(name) for option in long)
    return word.startswith("-") and any(letter in short for letter in word[1:])


def _without(short: str = "", long: tuple[str, ...] = ()) -> Check:
    """Safe unless given one of these options. A word bash expands (``*``) might become any
    option, so it is safe only for commands with no dangerous options at all."""

    def check(args: tuple[str, ...], expands: bool) -> bool:
        if expands:
            return not short and not long
        return not any(_option_forbidden(word, short, long) for word in args)

    return check


FIND_ACTIONS = frozenset(
    {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls"}
)


def _find(args: tuple[str, ...], expands: bool) -> bool:
    return not expands and not FIND_ACTIONS.intersection(args)


def _uniq(args: tuple[str, ...], expands: bool) -> bool:
    """``uniq IN OUT`` writes OUT: one operand at most (option values count, to be safe)."""
    operands = [word for word in args if word == "-" or not word.startswith("-")]
    return not expands and len(operands) <= 1


_PLAIN = _without()
# Commands that only read and print, with the options that would make them write files or run
# programs. Absent on purpose: git (repository config runs fsmonitor hooks on ``status``,
# textconv and external diff programs on ``diff``/``log``/``show``), less and more (``!cmd``),
# and anything that runs another command (env, xargs, timeout, nice...).
SAFE_COMMANDS: dict[str, Check] = {
    **dict.fromkeys(
        [
            *("ls", "cat", "head", "tail", "grep", "pwd", "wc", "echo", "which", "cd", "stat"),
            *("du", "df", "diff", "cut", "basename", "dirname", "realpath", "readlink"),
            *("whoami", "id", "uname", "true", "false", "nl", "tac", "md5sum", "sha256sum"),
        ],
        _PLAIN,
    ),
    "rg": _without("z", ("pre", "pre-glob", "search-zip", "hostname-bin")),
    "sort": _without("o", ("output", "compress-program")),
    "tree": _without("oR"),  # -o writes a file, -R writes one per directory
    "date": _without("s", ("set",)),
    "file": _without("CzZ", ("compile", "uncompress", "uncompress-noreport")),
    "find": _find,
    "uniq": _uniq,
}


def _command_safe(command: SimpleCommand) -> bool:
    check = SAFE_COMMANDS.get(command.words[0])
    return check is not None and check(command.words[1:], command.expands)


def is_known_safe(argv: list[str]) -> bool:
    """Whether every simple command of ``argv`` only reads and prints."""
    commands = simple_commands(argv)
    return bool(commands) and all(_command_safe(c) for c in commands or ())


# git's commands that only show the repository. Not known-safe (repository config can run
# programs through them), but no check of the code either: ``inspects_only`` counts them.
GIT_INSPECTION = frozenset(["status", "diff", "log", "show", "blame", "ls-files", "rev-parse"])


def inspects_only(argv: list[str]) -> bool:
    """Whether ``argv`` only looks at the workspace, so its success says nothing about the
    code: for the session's verdict, not for approvals."""
    commands = simple_commands(argv)
    return bool(commands) and all(_command_safe(c) or _git_inspection(c) for c in commands or ())


def _git_inspection(command: SimpleCommand) -> bool:
    words = command.words
    return words[0] == "git" and len(words) > 1 and words[1] in GIT_INSPECTION


@cache
def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in word.split("*")), re.DOTALL)


def _matches_at(pattern: Sequence[str], words: Sequence[str], loose: bool) -> bool:
    """Whether ``words`` start with ``pattern``; ``loose`` also lets a word match by its last
    path component (``/usr/bin/git`` for ``git``)."""
    if not pattern:
        return True
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_matches_at(rest, words[i:], loose) for i in range(len(words) + 1))
    if not words:
        return False
    word = words[0]
    regex = _word_pattern(head)
    hit = bool(regex.fullmatch(word)) or (loose and bool(regex.fullmatch(word.rpartition("/")[2])))
    return hit and _matches_at(rest, words[1:], loose)


def rule_text(rule: ApprovalRule) -> str:
    """The rule as it is written in config.toml."""
    words = ", ".join(json.dumps(word, ensure_ascii=False) for word in rule.pattern)
    return f'{{ pattern = [{words}], decision = "{rule.decision}" }}'


def restricting_rule(
    rules: Sequence[ApprovalRule], argv: list[str], commands: list[SimpleCommand] | None
) -> ApprovalRule | None:
    """The first deny rule, else the first ask rule, found anywhere in the command: in each
    simple command (after ``env``, ``xargs`` and other wrappers too), or anywhere in its text
    when it cannot be analysed. Restricting rules match broadly; a false alarm costs a question,
    a miss runs something the person ruled out."""
    scopes = (
        [loose_words(c.words) for c in commands] if commands is not None else [loose_words(argv)]
    )
    for decision in ("deny", "ask"):
        for rule in rules:
            if rule.decision == decision and any(
                _matches_at(rule.pattern, scope[i:], True)
                for scope in scopes
                for i in range(len(scope))
            ):
                return rule
    return None


def _allowed(rules: Sequence[ApprovalRule], command: SimpleCommand) -> bool:
    """Allow rules match narrowly: the simple command's own words, from its first."""
    return any(
        rule.decision == "allow" and _matches_at(rule.pattern, command.words, False)
        for rule in rules
    )


PROTECTED_NAMES = frozenset({".git", ".kodo"})


def is_protected(raw: str, cwd: Path) -> bool:
    """Whether an edit of ``raw`` (relative to ``cwd``) lands in a ``.git`` or ``.kodo`` folder
    or in ``$KODO_HOME``, as written or once symlinks are resolved. Within the workspace only
    the part below it counts, so a workspace that itself lives under such a folder still works."""
    base = Path(os.path.normpath(cwd.absolute()))
    given = Path(os.path.normpath(base / os.path.expanduser(raw)))  # ~nobody stays as is
    home = Path(os.path.realpath(kodo_home()))
    for path, root in (
        (given, base),
        (Path(os.path.realpath(given)), Path(os.path.realpath(base))),
    ):
        parts = path.relative_to(root).parts if path.is_relative_to(root) else path.parts
        if PROTECTED_NAMES.intersection(part.casefold() for part in parts):
            return True
        if path.is_relative_to(home):
            return True
    return False


@dataclass(frozen=True)
class CommandAsk:
    """A command to run in ``cwd``: sandboxed, unless ``escalate`` (the model asks, with its
    ``justification``, to run it outside the sandbox)."""

    argv: list[str]
    cwd: Path
    escalate: bool = False
    justification: str | None = None


@dataclass(frozen=True)
class EditAsk:
    """File edits: the paths as the model named them, and the change as the person sees it."""

    paths: list[str]
    change: str


@dataclass(frozen=True)
class JobAsk:
    """Work handed to (or taken from) a cluster, in the words of its client (``argv``), which
    the person's rules match; ``what`` names it in the question ("submission of a job")."""

    cluster: str
    argv: list[str]
    what: str


Ask = CommandAsk | EditAsk | JobAsk | McpCall


@dataclass
class Decision:
    run: bool
    outside: bool = False  # run outside the sandbox
    message: str | None = None  # for the model when refused
    protected: bool = False  # an edit may write protected paths: approved, or never asked


NO_APPROVER = "approval was needed but nobody can be asked in this session; treated as no"


def refused(words: str | None, what: str = "the command") -> str:
    return f"{what} was refused by the person" + (f": {words}" if words else ".")


def mcp_asks(policy: ApprovalPolicy, call: McpCall) -> bool:
    """Whether an MCP call needs a person. Under ``untrusted`` and ``on-request`` anything
    outside the sandbox does, unless the server declares the tool read-only and closed-world
    (it changes nothing and reaches nothing beyond its own machine, so it cannot carry data
    away); under ``on-failure`` only a tool the server marks destructive; never under
    ``never``."""
    if policy == "never":
        return False
    if policy == "on-failure":
        return call.destructive is True
    return not (call.read_only and call.open_world is False)


def mcp_refusal(call: McpCall, policy: ApprovalPolicy) -> str:
    return (
        f"calling MCP tool {call.qualified} needs approval under approval_policy {policy!r} "
        "(it runs outside kodo's sandbox), and there is no one to ask in this session. "
        "It was not called."
    )


def job_refusal(cluster: str, what: str, argv: list[str]) -> str:
    return (
        f"the {what} on cluster {cluster!r} needs the person's approval and nobody can be asked "
        f"in this session, so it was not done. The person can allow it in their kodo config: "
        f'[[approval.rules]] pattern = {json.dumps([argv[0], "**"])}, decision = "allow".'
    )


def denied_by(rule: ApprovalRule) -> str:
    return (
        f"the command was refused by the person's approval rule {rule_text(rule)} in "
        "their kodo config. It did not run; do not try to run it another way."
    )


def protected_refusal(names: list[str]) -> str:
    return (
        f"this edit touches {', '.join(names)}, inside .git/ or .kodo/ (git and kodo run "
        "hooks and settings from there), so the person must approve it, and nobody can be asked "
        "in this session. Nothing was changed. Leave these files alone or ask the person."
    )


@dataclass
class ApprovalGate:
    """Applies one policy and the person's rules for a session, and remembers its "always"
    answers: exact simple commands (with whether they ran outside the sandbox) and files."""

    policy: ApprovalPolicy
    approver: Approver | None
    rules: Sequence[ApprovalRule] = ()
    sandbox_mode: SandboxMode = "workspace-write"
    always: set[tuple[tuple[str, ...], bool]] = field(default_factory=set)
    always_files: set[Path] = field(default_factory=set)
    always_mcp: set[tuple[str, str]] = field(default_factory=set)  # (server, tool)
    always_clusters: set[str] = field(default_factory=set)  # job submission

    def decide(self, ask: Ask, cwd: Path) -> Decision:
        """Whatever kind of thing a tool call needs approved: one question, one memory."""
        if isinstance(ask, CommandAsk):
            return self.before(
                ask.argv, ask.cwd, escalate=ask.escalate, justification=ask.justification
            )
        if isinstance(ask, EditAsk):
            return self.before_edit(ask.paths, cwd, ask.change)
        if isinstance(ask, JobAsk):
            return self.before_job(ask.cluster, ask.argv, cwd, ask.what)
        return self.before_mcp(ask, cwd)

    def _ask(
        self,
        argv: list[str],
        cwd: Path,
        reason: str | None,
        escalate: bool,
        commands: list[SimpleCommand] | None,
    ) -> Decision:
        """``commands`` None: an "always" answer cannot be remembered for this command."""
        keys = {(c.words, escalate) for c in commands} if commands else set()
        if keys and keys <= self.always:
            return Decision(True, escalate)
        if self.approver is None:
            return Decision(False, message=NO_APPROVER)
        request = ApprovalRequest(argv, cwd, reason, escalate, remember=bool(keys))
        answer, words = self.approver.ask(request)
        if answer == "always":
            self.always |= keys
        if answer in ("yes", "always"):
            return Decision(True, escalate)
        return Decision(False, message=refused(words))

    def _covered(self, commands: list[SimpleCommand] | None) -> bool:
        return bool(commands) and all(
            _command_safe(c) or _allowed(self.rules, c) or (c.words, False) in self.always
            for c in commands or ()
        )

    def before(
        self, argv: list[str], cwd: Path, *, escalate: bool, justification: str | None
    ) -> Decision:
        commands = simple_commands(argv)
        rule = restricting_rule(self.rules, argv, commands)
        if rule is not None and rule.decision == "deny":
            return Decision(False, message=denied_by(rule))
        escalate = escalate and self.policy == "on-request"
        if rule is not None:  # "ask": every time, under every policy
            why = f"your approval rule {rule_text(rule)}"
            reason = f"{justification or 'no justification given'}; {why}" if escalate else why
            return self._ask(argv, cwd, reason, escalate, None)
        if escalate:
            return self._ask(argv, cwd, justification or "no justification given", True, commands)
        if self.policy == "untrusted" and not self._covered(commands):
            return self._ask(argv, cwd, None, False, commands)
        return Decision(True)

    def after_failure(
        self, argv: list[str], cwd: Path, what: str, *, offline: bool = False
    ) -> Decision:
        """Under on-failure: may a command that failed in the sandbox run again outside it?
        Under on-request too when it failed for lack of network (``offline``): the model cannot
        ask for that before it knows, and only the person can grant it."""
        if self.policy != "on-failure" and not (offline and self.policy == "on-request"):
            return Decision(False)
        commands = simple_commands(argv)
        if restricting_rule(self.rules, argv, commands) is not None:
            commands = None
        reason = f"it failed in the sandbox ({what})"
        if offline:
            reason += " and needs network access, which the sandbox does not give"
        return self._ask(argv, cwd, reason, True, commands)

    def before_mcp(self, call: McpCall, cwd: Path) -> Decision:
        """Before a tool of an MCP server runs (in its process, outside the sandbox):
        ``mcp_asks`` decides, and "always" covers this tool of this server for the session."""
        key = (call.server, call.tool)
        if not mcp_asks(self.policy, call) or key in self.always_mcp:
            return Decision(True, outside=True)
        if self.approver is None:
            return Decision(False, message=mcp_refusal(call, self.policy))
        request = ApprovalRequest([call.qualified, call.arguments], cwd, None, True, mcp=call)
        answer, words = self.approver.ask(request)
        if answer == "always":
            self.always_mcp.add(key)
        if answer in ("yes", "always"):
            return Decision(True, outside=True)
        return Decision(False, message=refused(words, f"the call to MCP tool {call.qualified}"))

    def before_job(self, cluster: str, argv: list[str], cwd: Path, what: str) -> Decision:
        """Before a job is submitted to (or cancelled on) a cluster: that uses the person's
        allocation from outside the sandbox, so it is asked about under every policy unless a
        rule allows it; "always" covers that cluster for the session."""
        commands = simple_commands(argv)
        rule = restricting_rule(self.rules, argv, commands)
        if rule is not None and rule.decision == "deny":
            return Decision(False, message=denied_by(rule))
        if rule is None and commands and all(_allowed(self.rules, c) for c in commands):
            return Decision(True, outside=True)
        if rule is None and cluster in self.always_clusters:
            return Decision(True, outside=True)
        if self.approver is None:
            return Decision(False, message=job_refusal(cluster, what, argv))
        reason = f"{what} on cluster {cluster!r}, outside the sandbox"
        answer, words = self.approver.ask(ApprovalRequest(argv, cwd, reason, True))
        if answer == "always" and rule is None:
            self.always_clusters.add(cluster)
        if answer in ("yes", "always"):
            return Decision(True, outside=True)
        return Decision(False, message=refused(words, f"the {what}"))

    @property
    def protected_unasked(self) -> bool:
        """``never`` with no sandbox: the person chose to be asked nothing, edits included."""
        return self.policy == "never" and self.sandbox_mode == "danger-full-access"

    def before_edit(self, paths: list[str], cwd: Path, patch: str) -> Decision:
        """Before ``apply_patch`` or ``write_file`` changes ``paths`` (as the model gave them).
        Edits in .git/.kodo are asked about every time, unless ``protected_unasked``."""
        if self.protected_unasked:
            return Decision(True, protected=True)
        protected = [p for p in paths if is_protected(p, cwd)]
        if protected:
            if self.approver is None:
                return Decision(False, message=protected_refusal(protected))
            reason = f"it edits {', '.join(protected)}: git or kodo may run code from there"
        elif self.policy == "untrusted":
            reason = None
        else:
            return Decision(True)
        files = {Path(os.path.realpath(cwd / os.path.expanduser(p))) for p in paths}
        if not protected and files and files <= self.always_files:
            return Decision(True)
        if self.approver is None:
            return Decision(False, message=NO_APPROVER)
        request = ApprovalRequest(
            ["apply_patch", *paths], cwd, reason, False, patch=patch, remember=not protected
        )
        answer, words = self.approver.ask(request)
        if answer == "always" and not protected:
            self.always_files |= files
        if answer in ("yes", "always"):
            return Decision(True, protected=bool(protected))
        return Decision(False, message=refused(words, "the edit"))


def gate_for(ctx: ToolContext) -> ApprovalGate:
    """The session's gate, kept on its context and shared by the tools; a new one (with the
    "always" answers forgotten) once the approver, the policy, the sandbox or the rules change."""
    config = ctx.config
    gate = ctx.gate
    if (
        gate is None
        or gate.approver is not ctx.approver
        or gate.policy != config.approval_policy
        or gate.sandbox_mode != config.sandbox_mode
        or list(gate.rules) != config.approval.rules
    ):
        gate = ApprovalGate(
            config.approval_policy, ctx.approver, config.approval.rules, config.sandbox_mode
        )
        ctx.gate = gate
    return gate


def edit_guard(
    approved: Decision | None, cwd: Path, can_write: Callable[[Path], bool]
) -> Callable[[Path], bool]:
    """The ``can_write`` to apply an approved edit with. Unless a protected edit was approved
    (or needs no approval), it also refuses protected paths as the tool resolves them when
    writing, so a symlink swapped after the question cannot lead the edit into ``.git``."""
    if approved is not None and approved.protected:
        return can_write
    return lambda path: can_write(path) and not is_protected(str(path), cwd)


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
