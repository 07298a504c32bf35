from __future__ import annotations

import subprocess
import sys

from kodo.mcp.names import MAX_NAME, qualified_name, unique_name


def test_names_join_server_and_tool_and_replace_unsafe_characters() -> None:
    assert qualified_name("github", "create_issue") == "github__create_issue"
    assert qualified_name("my server", "read.file/v2") == "my_server__read_file_v2"


def test_long_names_are_cut_but_stay_distinct() -> None:
    a = qualified_name("s", "x" * 80 + "a")
    b = qualified_name("s", "x" * 80 + "b")
    assert len(a) == len(b) == MAX_NAME
    assert a != b
    assert a.startswith("s__xxx")


def test_a_name_already_taken_gets_a_distinct_one() -> None:
    first = unique_name("s", "a.b", set())
    second = unique_name("s", "a_b", {first})
    assert first == "s__a_b"
    assert second != first and second.startswith("s__a_b_")


def test_the_mcp_sdk_is_not_imported_until_a_server_is_configured() -> None:
    code = (
        "import sys, pathlib\n"
        "from kodo.mcp.manager import McpManager\n"
        "import kodo.mcp.tools, kodo.mcp.server, kodo.cli\n"
        "m = McpManager({}, cwd=pathlib.Path('.'))\n"
        "assert m.start() == [] and m.tools == []\n"
        "m.close()\n"
        "print(sorted(n for n in sys.modules if n == 'mcp' or n.startswith('mcp.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
