"""Entry points only: parse the command line and hand over to the part that does the work.

Handlers are imported lazily, and only the named command's options are built, so that a
command pays only for itself. ``kodo sandbox -- CMD`` runs a kept plan before even argparse is
imported (``sandbox/plans.py``).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing and argparse cost more than running a kept sandbox plan
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

EXIT_USAGE = 2
# Ordinary words a prompt may start with that are one letter away from a command's name.
PROMPT_WORDS = frozenset(
    {"patch", "match", "watch", "catch", "mode", "modal", "skill", "evil", "rust", "crust"}
)


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-m", "--model", help="model name, e.g. gpt-5 or claude-sonnet-4-5")
    p.add_argument(
        "--provider",
        choices=["openai", "openai-chat", "anthropic", "ollama", "local"],
        help="wire protocol: openai (Responses API), openai-chat (any OpenAI-compatible server), "
        "anthropic, ollama, local (the embedded model; the default without an API key)",
    )
    p.add_argument("--base-url", help="server URL, e.g. http://127.0.0.1:8000/v1 for vLLM")
    p.add_argument("-p", "--profile", help="config profile to apply")
    p.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value (repeatable), e.g. -c max_turns=20",
    )
    p.add_argument("-C", "--cd", metavar="DIR", help="work in DIR instead of the current directory")
    p.add_argument(
        "-s",
        "--sandbox",
        choices=["read-only", "workspace-write", "danger-full-access"],
        help="sandbox for commands the model runs (default workspace-write)",
    )
    p.add_argument("--network", action="store_true", default=None, help="allow network access")
    p.add_argument(
        "-a",
        "--ask-for-approval",
        choices=["untrusted", "on-failure", "on-request", "never"],
        help="when to ask before running a command",
    )
    p.add_argument(
        "--full-auto", action="store_true", help="workspace-write sandbox, ask only on failure"
    )


def _add_batch_options(p: argparse.ArgumentParser) -> None:
    from kodo.batch.options import add_run_options

    add_run_options(p)


def _exec(p: argparse.ArgumentParser) -> None:
    _add_model_options(p)
    p.add_argument("prompt", nargs="*", help="the task ('-' reads it from stdin)")
    p.add_argument("--json", action="store_true", help="print events as JSON lines")
    p.add_argument("--max-turns", type=int, help="stop after this many model turns (default 100)")
    p.add_argument("--output-last-message", metavar="FILE", help="write the final message here")
    p.add_argument(
        "--done-when",
        metavar="CONDITION",
        help='success measured, e.g. "val_acc >= 0.9": the last value the run reported as JSON '
        "(its job logs, its commands' output) decides",
    )
    p.add_argument("--last", action="store_true", help="with 'resume': the most recent session")
    p.set_defaults(handler="kodo.exec_command:run", fast_exit=True)


def _skills(p: argparse.ArgumentParser) -> None:
    p.add_argument("-C", "--cd", metavar="DIR", help="project directory (default: current)")
    p.set_defaults(handler="kodo.skills.command:run")


def _sessions(p: argparse.ArgumentParser) -> None:
    p.add_argument("-n", "--limit", type=int, default=20)
    p.add_argument(
        "--all", action="store_true", help="also sessions that never got an answer from the model"
    )
    p.set_defaults(handler="kodo.session.listing:run")


def _apply_patch(p: argparse.ArgumentParser) -> None:
    p.set_defaults(handler="kodo.tools.apply_patch:cli_run")


def _diagnose(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", help="log files or directories ('-' for stdin)")
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    p.set_defaults(handler="kodo.diagnose.cli:run")


def _trust(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", help="project folder (default: current)")
    p.add_argument("--list", action="store_true", help="list trusted projects")
    p.set_defaults(handler="kodo.trust_command:run")


def _untrust(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", help="project folder (default: current)")
    p.set_defaults(handler="kodo.trust_command:run_untrust")


def _clusters(p: argparse.ArgumentParser) -> None:
    p.set_defaults(handler="kodo.jobs.command:run_clusters")


def _jobs(p: argparse.ArgumentParser) -> None:
    p.add_argument("-n", "--limit", type=int, default=20, help="sessions to look through")
    p.set_defaults(handler="kodo.jobs.command:run_jobs")


def _mcp_server(p: argparse.ArgumentParser) -> None:
    p.set_defaults(handler="kodo.mcp.server:run")


def _sandbox(p: argparse.ArgumentParser) -> None:
    import argparse

    p.add_argument(
        "-s",
        "--sandbox",
        choices=["read-only", "workspace-write", "danger-full-access"],
        help="sandbox mode (default from config: workspace-write)",
    )
    p.add_argument("--network", action="store_true", default=None, help="allow network access")
    p.add_argument("-C", "--cd", metavar="DIR", help="workspace directory (default: current)")
    p.add_argument("cmd", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    p.set_defaults(handler="kodo.sandbox.cli:run", fast_exit=True)


def _model(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["pull", "list", "serve"])
    p.add_argument("name", nargs="?", help="catalogue name or .gguf path (default: the default)")
    p.add_argument("--port", type=int, help="serve: the loopback port (default: a free one)")
    p.add_argument("--context", type=int, help="serve: context window in tokens")
    p.add_argument("--threads", type=int, help="serve: CPU threads (default: all cores)")
    p.set_defaults(handler="kodo.models.model_command:run")


def _batch(p: argparse.ArgumentParser) -> None:
    p.add_argument("tasks", help="TASKS.jsonl: one task per line")
    _add_batch_options(p)
    p.set_defaults(handler="kodo.batch.cli:run")


def _eval(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", nargs="+", help="SUITE directory, or: compare RUN_A RUN_B")
    p.add_argument(
        "--reference", action="store_true", help="apply each task's solution instead of the agent"
    )
    _add_batch_options(p)
    p.set_defaults(handler="kodo.batch.eval_cli:run")


def _resume(p: argparse.ArgumentParser) -> None:
    _add_model_options(p)
    p.add_argument("session", nargs="?", help="session id or prefix (default: pick from a list)")
    p.add_argument("--last", action="store_true", help="the most recent session")
    p.set_defaults(handler="kodo.ui.shell:run_resume")


# Each command, its one-line help and what adds its options, in the order --help lists them.
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "exec": ("run one task non-interactively", _exec),
    "skills": ("list the skills kodo can load", _skills),
    "sessions": ("list recorded sessions", _sessions),
    "apply-patch": ("apply a Codex-format patch from stdin in the current directory", _apply_patch),
    "diagnose": ("triage logs of a failed distributed GPU job", _diagnose),
    "trust": ("let a project's .kodo/config.toml change security settings (sandbox, ...)", _trust),
    "untrust": ("stop trusting a project's .kodo/config.toml", _untrust),
    "clusters": ("list the clusters in your config and check each", _clusters),
    "jobs": ("the cluster jobs of recent sessions, with their state now", _jobs),
    "mcp-server": ("serve kodo over stdio as an MCP server (tool: kodo_task)", _mcp_server),
    "sandbox": ("run one command under the sandbox policy", _sandbox),
    "model": ("the embedded local model: pull, list, serve", _model),
    "batch": ("run many tasks from a JSONL file, locally or on Ray", _batch),
    "eval": ("score kodo on a suite of tasks with hidden tests; `eval compare A B`", _eval),
    "resume": ("reopen a recorded session in the interactive shell", _resume),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser, or with ``only`` that one alone: building all of them costs more
    than some commands take to run (``kodo sandbox -- true``)."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="kodo",
        description="kodo: an autonomous software engineer. It writes code, runs it in a "
        "sandbox, reads the errors and fixes them until the work is verified.",
        epilog='With no COMMAND, kodo opens an interactive session: `kodo`, `kodo "a task"`, '
        "`kodo -m MODEL ...` (the model and sandbox options of exec apply).",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (summary, add_options) in COMMANDS.items():
        if only is None or name == only:
            add_options(sub.add_parser(name, help=summary))
    return parser


def build_shell_parser() -> argparse.ArgumentParser:
    """``kodo [options] [PROMPT]``: the interactive shell, when no command is named."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="kodo",
        usage="kodo [options] [PROMPT]  |  kodo COMMAND ... (kodo --help lists commands)",
    )
    _add_model_options(parser)
    parser.add_argument("prompt", nargs="*", help="a first prompt to send")
    parser.set_defaults(handler="kodo.ui.shell:run")
    return parser


def _is_shell(argv: Sequence[str]) -> bool:
    """No command named first: the shell, e.g. ``kodo``, ``kodo "fix the bug"``, ``kodo -m x``."""
    if not argv:
        return True
    if argv[0] in ("-h", "--help", "--version"):
        return False
    return argv[0] not in COMMANDS


def _typos(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) between ``a`` and ``b``."""
    rows = [list(range(len(b) + 1))]
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            best = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                best = min(best, rows[-2][j - 2] + 1)
            row.append(best)
        rows.append(row)
    return rows[-1][-1]


def command_typo(word: str, commands: Sequence[str]) -> str | None:
    """The command that ``word``, the first word of a would-be prompt, misspells: one typo
    away, a single word, and not an ordinary word a prompt may start with."""
    word = word.lower()
    if len(word) < 3 or word in PROMPT_WORDS or not word.replace("-", "").isalpha():
        return None
    close = [name for name in commands if _typos(word, name) == 1]
    return close[0] if len(close) == 1 else None


def _words_after_options(args: argparse.Namespace, extra: list[str]) -> bool:
    """Prompt words after an option (``kodo exec resume --last "more"``) join the prompt."""
    if not isinstance(getattr(args, "prompt", None), list):
        return False
    if any(word.startswith("-") and word != "-" for word in extra):
        return False
    args.prompt += extra
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """``argv`` None: this is the program itself (``kodo``, ``python -m kodo``), so a command
    marked ``fast_exit``, which closes everything it opened, ends the process without an
    interpreter teardown (``fast_exit.py``)."""
    program = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    if program and argv[:2] == ["sandbox", "--"] and len(argv) > 2:
        from kodo.sandbox.plans import run_remembered

        run_remembered(argv[2:])
    import importlib

    shell = _is_shell(argv)
    if shell:
        parser = build_shell_parser()
    else:
        parser = build_parser(only=argv[0] if argv[0] in COMMANDS else None)
    args, extra = parser.parse_known_args(argv)
    if extra and not _words_after_options(args, extra):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if shell and args.prompt and (typo := command_typo(args.prompt[0], list(COMMANDS))):
        hint = f"kodo: {args.prompt[0]!r} is not a command; did you mean `kodo {typo}`?"
        if len(args.prompt) > 1:
            prompt = " ".join(args.prompt)
            hint += f'\nTo send it to the model as a prompt, quote it: kodo "{prompt}"'
        print(hint, file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "version", False):
        from kodo import __version__

        print(f"kodo {__version__}")
        return 0
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    module_name, func_name = handler.split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    try:
        code = int(func(args) or 0)
    except KeyboardInterrupt:
        print("kodo: interrupted", file=sys.stderr)
        return 130
    if program and getattr(args, "fast_exit", False):
        from kodo.fast_exit import leave

        leave(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
