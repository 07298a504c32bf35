"""The approval policy in isolation: known-safe commands, "always", rules and protected edits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kodo.config import ApprovalRule, Config, load_config, read_project_config
from kodo.sandbox.approval import (
    NO_APPROVER,
    SAFE_COMMANDS,
    ApprovalGate,
    ScriptedApprover,
    gate_for,
    inspects_only,
    is_known_safe,
    is_protected,
)
from kodo.tools.base import ToolContext
from kodo.trust import TrustStore

CWD = Path("/work/ws")


def bash(script: str) -> list[str]:
    return ["bash", "-lc", script]


@pytest.mark.parametrize(
    "argv",
    [
        ["ls", "-la"],
        ["rg", "-n", "--no-pre", "foo"],
        ["sort", "-r", "-k2", "f"],
        ["find", ".", "-name", "*.py", "-print"],
        ["uniq", "-c", "f"],
        ["tree", "-L", "2"],
        ["date", "+%s"],
        ["file", "-b", "x"],
        bash("cd src && grep -rn foo . | head -5; wc -l a 2>/dev/null"),
        bash("ls *.py"),
    ],
)
def test_known_safe(argv: list[str]) -> None:
    assert is_known_safe(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["rg", "--pre", "./x.sh", "foo"],
        ["rg", "--pre=./x.sh", "foo"],
        ["rg", "--pre-glob", "*", "foo"],
        ["rg", "-z", "foo"],
        ["rg", "-nz", "foo"],
        ["sort", "-o", "out", "f"],
        ["sort", "-ro", "out", "f"],
        ["sort", "--output=out", "f"],
        ["sort", "--out=out", "f"],  # GNU accepts unambiguous abbreviations
        ["sort", "--compress-program=sh", "f"],
        ["find", ".", "-exec", "rm", "{}", ";"],
        ["find", ".", "-execdir", "sh", "{}", ";"],
        ["find", ".", "-ok", "rm", "{}", ";"],
        ["find", ".", "-okdir", "rm", "{}", ";"],
        ["find", ".", "-delete"],
        ["find", ".", "-fprint", "out"],
        ["find", ".", "-fprint0", "out"],
        ["find", ".", "-fprintf", "out", "%p"],
        ["find", ".", "-fls", "out"],
        ["tree", "-o", "out"],
        ["tree", "-R"],
        ["uniq", "in", "out"],
        ["date", "-s", "2020-01-01"],
        ["date", "--set=2020-01-01"],
        ["file", "-C", "-m", "magic"],
        ["git", "status"],
        ["git", "status", "--porcelain"],
        ["git", "diff"],
        ["git", "log"],
        ["less", "f"],
        ["more", "f"],
        ["/bin/ls"],
        ["./ls"],
        bash("LD_PRELOAD=/ws/x.so ls"),
        bash("sort *"),  # a file named --output=x would become an option
        bash("find *"),
        bash("uniq *"),
        bash("ls && rm x"),
        bash("ls > out"),
        bash("ls $(rm x)"),
        bash(""),
        [],
    ],
)
def test_not_known_safe(argv: list[str]) -> None:
    assert not is_known_safe(argv)


def test_the_safe_list_has_nothing_that_runs_programs() -> None:
    for name in ("git", "less", "more", "env", "xargs", "sh", "bash", "timeout", "nice", "awk"):
        assert name not in SAFE_COMMANDS


def test_git_inspection_is_no_check_of_the_code_yet_not_known_safe() -> None:
    assert inspects_only(bash("git status && git diff | head")) and inspects_only(["ls"])
    assert not is_known_safe(["git", "status"])
    assert not inspects_only(["git", "push"]) and not inspects_only(["pytest"])
    assert not inspects_only(bash("git diff > $(x)"))


def gate(policy: str = "untrusted", answers=(), **more) -> tuple[ApprovalGate, ScriptedApprover]:
    approver = ScriptedApprover(list(answers))
    return ApprovalGate(policy, approver, **more), approver  # type: ignore[arg-type]


def run(g: ApprovalGate, argv: list[str], escalate: bool = False) -> bool:
    return g.before(argv, CWD, escalate=escalate, justification=None).run


def test_always_covers_the_exact_bash_command_only() -> None:
    g, approver = gate(answers=["always"])
    assert run(g, bash("echo ok > /dev/null && touch a"))
    assert run(g, bash("echo ok > /dev/null && touch a"))
    assert run(g, bash("touch a"))  # one of its simple commands, remembered
    assert len(approver.requests) == 1
    assert not run(g, bash("touch b"))  # same "bash -lc" prefix, other words: asked (no answer)
    assert not run(g, bash("touch a; rm -rf /"))  # one simple command not covered
    assert not run(g, ["touch", "a", "b"])
    assert len(approver.requests) == 4


def test_always_is_not_remembered_for_unanalysable_commands() -> None:
    g, approver = gate(answers=["always"])
    assert run(g, bash("touch $(echo a)"))
    assert approver.requests[0].remember is False
    assert not run(g, bash("touch $(echo a)"))
    assert len(approver.requests) == 2


def test_always_inside_the_sandbox_does_not_cover_leaving_it() -> None:
    g, approver = gate("on-request", answers=["always", "no"])
    assert run(g, ["make"], escalate=True)
    assert run(g, ["make"], escalate=True)
    assert len(approver.requests) == 1
    g.policy = "untrusted"
    assert run(g, ["make"], escalate=False) is False  # asked again: sandboxed is another key
    assert len(approver.requests) == 2


def rule(decision: str, *pattern: str) -> ApprovalRule:
    return ApprovalRule(pattern=list(pattern), decision=decision)  # type: ignore[arg-type]


def test_deny_wins_over_allow_under_every_policy() -> None:
    rules = [rule("allow", "git", "**"), rule("deny", "git", "push")]
    for policy in ("untrusted", "on-failure", "on-request", "never"):
        g, approver = gate(policy, ["yes"], rules=rules)
        decision = g.before(["git", "push"], CWD, escalate=True, justification="please")
        assert not decision.run and approver.requests == []
        assert '{ pattern = ["git", "push"], decision = "deny" }' in (decision.message or "")
        assert run(g, ["git", "status"])  # positive control


@pytest.mark.parametrize(
    "argv",
    [
        ["git", "push", "origin", "main"],
        ["/usr/bin/git", "push"],
        bash("ls && git push"),
        bash("env GIT_DIR=x git push"),
        bash("echo main | xargs git push origin"),
        bash("sh -c 'git push'"),
        ["bash", "-l", "-c", "git push"],
        bash("x=$(git push)"),
        bash("eval 'g''it push'"),
        bash("if true; then git push; fi"),
    ],
)
def test_deny_rules_match_wherever_the_words_appear(argv: list[str]) -> None:
    g, _ = gate("never", rules=[rule("deny", "git", "push")])
    assert not run(g, argv)


def test_deny_rules_do_not_match_other_commands() -> None:
    g, _ = gate("never", rules=[rule("deny", "git", "push")])
    assert run(g, ["git", "pull"])
    assert run(g, bash("git status; echo push"))


def test_rule_words_glob() -> None:
    g, _ = gate("never", rules=[rule("deny", "git", "**", "push"), rule("deny", "python*", "-c")])
    assert not run(g, ["git", "-C", "repo", "push"])
    assert not run(g, ["python3.12", "-c", "print()"])
    assert run(g, ["python3", "x.py"])


def test_ask_rules_ask_every_time_under_every_policy() -> None:
    g, approver = gate("never", ["always", "no"], rules=[rule("ask", "npm", "publish")])
    assert run(g, ["npm", "publish"])
    assert not run(g, ["npm", "publish"])  # "always" was not remembered
    assert [r.remember for r in approver.requests] == [False, False]
    assert "npm" in (approver.requests[0].reason or "")
    assert run(g, ["npm", "test"])  # positive control: not asked
    assert len(approver.requests) == 2
    nobody = ApprovalGate("never", None, [rule("ask", "npm", "publish")])
    assert nobody.before(["npm", "publish"], CWD, escalate=False, justification=None).message == (
        NO_APPROVER
    )


def test_allow_rules_match_narrowly() -> None:
    g, approver = gate(rules=[rule("allow", "cargo", "test")])
    assert run(g, ["cargo", "test", "--release"])
    assert run(g, bash("cd crate && cargo test"))
    assert approver.requests == []
    assert not run(g, bash("cargo test && cargo publish"))  # one simple command not allowed
    assert not run(g, ["./cargo", "test"])  # a program of the same name elsewhere
    assert not run(g, bash("RUSTFLAGS=x cargo test"))
    assert not run(g, bash("cargo test > $(x)"))
    escalation = g.before(["cargo", "test"], CWD, escalate=True, justification="x")
    assert escalation.run and not escalation.outside  # untrusted: runs sandboxed, unasked


def test_allow_does_not_grant_escalation() -> None:
    g, approver = gate("on-request", ["no"], rules=[rule("allow", "cargo", "test")])
    assert not run(g, ["cargo", "test"], escalate=True)
    assert len(approver.requests) == 1 and approver.requests[0].escalate


@pytest.mark.parametrize(
    "raw",
    [".git/config", ".git/hooks/pre-commit", "sub/.git/config", ".kodo/config.toml", ".GIT/x"],
)
def test_protected_paths(raw: str, tmp_path: Path) -> None:
    assert is_protected(raw, tmp_path)


def test_protected_through_symlinks_and_kodo_home(tmp_path: Path, kodo_home: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "hooks").symlink_to(tmp_path / ".git")
    (tmp_path / "notes.txt").symlink_to(tmp_path / ".git" / "config")
    assert is_protected("hooks/pre-commit", tmp_path)
    assert is_protected("notes.txt", tmp_path)
    assert is_protected(str(kodo_home / "config.toml"), tmp_path)
    assert not is_protected("src/git/x.py", tmp_path)
    assert not is_protected(".github/workflows/ci.yml", tmp_path)
    inside = tmp_path / ".kodo" / "worktree"  # a workspace that itself lives in such a folder
    inside.mkdir(parents=True)
    assert not is_protected("src/a.py", inside)


def edit(g: ApprovalGate, *paths: str, cwd: Path = CWD):
    return g.before_edit(list(paths), cwd, "*** Begin Patch\n*** End Patch\n")


@pytest.mark.parametrize("policy", ["untrusted", "on-failure", "on-request", "never"])
@pytest.mark.parametrize("mode", ["workspace-write", "danger-full-access"])
def test_protected_edits_are_asked_about_unless_never_without_sandbox(
    policy: str, mode: str
) -> None:
    g, approver = gate(policy, ["yes"], sandbox_mode=mode)
    assert edit(g, "a.py", ".git/hooks/pre-commit").run
    if policy == "never" and mode == "danger-full-access":
        assert approver.requests == []
        return
    (request,) = approver.requests
    assert request.argv == ["apply_patch", "a.py", ".git/hooks/pre-commit"]
    assert request.patch is not None and not request.remember
    assert ".git/hooks/pre-commit" in (request.reason or "")


def test_protected_edits_without_approver_are_refused() -> None:
    g = ApprovalGate("never", None)
    decision = edit(g, ".kodo/config.toml")
    assert not decision.run and ".kodo/config.toml" in (decision.message or "")
    assert "nobody can be asked" in (decision.message or "")
    assert edit(g, "a.py").run  # positive control


def test_protected_edits_are_asked_every_time(tmp_path: Path) -> None:
    g, approver = gate("never", ["always", "always"])
    assert edit(g, ".git/config", cwd=tmp_path).run
    assert edit(g, ".git/config", cwd=tmp_path).run
    assert len(approver.requests) == 2


def test_untrusted_asks_before_edits_and_remembers_files(tmp_path: Path) -> None:
    g, approver = gate("untrusted", ["always"])
    assert edit(g, "a.py", cwd=tmp_path).run
    assert edit(g, "./a.py", cwd=tmp_path).run
    assert len(approver.requests) == 1
    assert not edit(g, "b.py", cwd=tmp_path).run
    assert len(approver.requests) == 2
    assert gate("on-request")[0].before_edit(["a.py"], tmp_path, "").run


def test_gate_for_keeps_one_gate_per_session_until_something_changes(tmp_path: Path) -> None:
    approver = ScriptedApprover([])
    ctx = ToolContext(tmp_path, Config(approval_policy="untrusted"), lambda e: None, None, approver)  # type: ignore[arg-type]
    first = gate_for(ctx)
    assert gate_for(ctx) is first
    ctx.approver = ScriptedApprover([])
    assert gate_for(ctx) is not first
    second = gate_for(ctx)
    ctx.config = Config(approval_policy="untrusted", sandbox_mode="danger-full-access")
    assert gate_for(ctx) is not second


def test_rules_come_only_from_the_persons_own_config(tmp_path: Path, kodo_home: Path) -> None:
    deny = '[[approval.rules]]\npattern = ["git", "push"]\ndecision = "deny"\n'
    (kodo_home / "config.toml").write_text(deny)
    assert load_config(tmp_path).approval.rules == [rule("deny", "git", "push")]
    (tmp_path / ".kodo").mkdir()
    hostile = (
        '[[approval.rules]]\npattern = ["**"]\ndecision = "allow"\n'
        '[profiles.p.approval]\nrules = [{ pattern = ["**"], decision = "allow" }]\n'
    )
    (tmp_path / ".kodo" / "config.toml").write_text(hostile)
    TrustStore(kodo_home).trust(read_project_config(tmp_path))  # even once trusted
    assert load_config(tmp_path).approval.rules == [rule("deny", "git", "push")]
    assert load_config(tmp_path, profile="p").approval.rules == [rule("deny", "git", "push")]
    os.unlink(kodo_home / "config.toml")
    assert load_config(tmp_path).approval.rules == []
