"""Which part of kodo a command line opens: the shell unless a command is named first."""

from __future__ import annotations

import pytest

from kodo.cli import _is_shell, build_parser, build_shell_parser


@pytest.mark.parametrize(
    ("argv", "shell"),
    [
        ([], True),
        (["fix the failing test"], True),
        (["-m", "gpt-5", "--provider", "openai-chat", "explain exec"], True),
        (["exec", "do it"], False),
        (["resume", "--last"], False),
        (["sessions"], False),
        (["--version"], False),
        (["--help"], False),
    ],
)
def test_routing(argv: list[str], shell: bool) -> None:
    assert _is_shell(argv) is shell


def test_shell_arguments() -> None:
    args = build_shell_parser().parse_args(["-a", "untrusted", "fix", "it"])
    assert args.prompt == ["fix", "it"] and args.ask_for_approval == "untrusted"
    assert args.handler == "kodo.ui.shell:run"
    resume = build_parser().parse_args(["resume", "--last", "-m", "x"])
    assert resume.last and resume.model == "x" and resume.handler == "kodo.ui.shell:run_resume"
