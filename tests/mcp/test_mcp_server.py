from __future__ import annotations

from pathlib import Path

from kodo.cli import build_parser
from kodo.mcp.server import exec_command
from tests.mcp.kodo_client import call_kodo_task


def test_kodo_mcp_server_lists_kodo_task_and_rejects_a_missing_directory(tmp_path: Path) -> None:
    names, text, is_error = call_kodo_task({"prompt": "x", "cwd": str(tmp_path / "missing")})
    assert names == ["kodo_task"]
    assert is_error
    assert "is not a directory" in text


def test_the_task_runs_as_kodo_exec_with_the_prompt_on_stdin(tmp_path: Path) -> None:
    argv = exec_command(tmp_path, "m1", None, "http://x/v1")
    assert argv[1:] == [
        "-P", "-m", "kodo", "exec", "--json", "-C", str(tmp_path), "-m", "m1", "--base-url",
        "http://x/v1", "-",
    ]  # fmt: skip
    parsed = build_parser().parse_args(argv[4:])
    assert (parsed.model, parsed.provider, parsed.prompt) == ("m1", None, ["-"])
