"""read_file, list_dir and search on real directory trees, including the paths they must not
read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kodo.config import Config
from kodo.records import read
from kodo.sandbox.local import LocalExecutor
from kodo.tools.base import ToolContext, ToolOutput
from kodo.tools.builtin import file_tools
from kodo.tools.registry import ToolRegistry
from kodo.tools.search import SearchTool

HAVE_RG = shutil.which("rg") is not None


def call(ws: Path, name: str, tools: list | None = None, config: dict | None = None, **args):
    cfg = read(Config, config or {})
    ctx = ToolContext(ws, cfg, lambda e: None, LocalExecutor(cfg))
    return ToolRegistry(tools or file_tools()).dispatch(name, json.dumps(args), ctx)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "core.py").write_text("def Alpha():\n    return 'alpha'\n")
    (root / "src" / "util.py").write_text("import os\nALPHA = 1\n")
    (root / "README.md").write_text("# project alpha\n")
    for skipped in (".git", "node_modules/lib", "__pycache__", ".venv/lib"):
        (root / skipped).mkdir(parents=True)
        (root / skipped / "junk.py").write_text("alpha = 'junk'\n")
    return root


def test_read_file_numbers_lines_and_says_it_reached_the_end(ws: Path) -> None:
    out = call(ws, "read_file", path="src/pkg/core.py")
    assert out.ok
    assert out.output == (
        "     1\tdef Alpha():\n     2\t    return 'alpha'\n[lines 1-2 of 2; end of file]"
    )


def test_read_file_pages_with_offset_and_limit(ws: Path) -> None:
    (ws / "long.txt").write_text("".join(f"row {i}\n" for i in range(1, 2501)))
    roomy = {"tool_output_max_bytes": 100_000}
    first = call(ws, "read_file", config=roomy, path="long.txt")
    assert first.output.splitlines()[0] == "     1\trow 1"
    assert first.output.splitlines()[-2] == "  2000\trow 2000"
    assert first.output.endswith(
        "[lines 1-2000 of 2500; call read_file with offset=2001 to read more]"
    )
    page = call(ws, "read_file", path="long.txt", offset=2001, limit=3)
    assert page.output == (
        "  2001\trow 2001\n  2002\trow 2002\n  2003\trow 2003\n"
        "[lines 2001-2003 of 2500; call read_file with offset=2004 to read more]"
    )
    past = call(ws, "read_file", path="long.txt", offset=3000)
    assert not past.ok and "offset 3000 is past the end of long.txt, which has 2500 lines" in (
        past.output
    )


def test_read_file_stops_at_the_output_budget_and_says_where_to_go_on(ws: Path) -> None:
    (ws / "wide.txt").write_text("".join(f"{i:04d} " + "x" * 95 + "\n" for i in range(1, 301)))
    out = call(ws, "read_file", config={"tool_output_max_bytes": 2000}, path="wide.txt")
    shown = out.output.splitlines()[:-1]
    assert len(out.output.encode()) <= 2000
    last = int(shown[-1].split("\t")[0])
    assert shown[-1].endswith(f"{last:04d} " + "x" * 95)
    assert out.output.endswith(f"call read_file with offset={last + 1} to read more]")


def test_read_file_cuts_very_long_lines(ws: Path) -> None:
    (ws / "min.js").write_text("a" * 5000 + "\nshort\n")
    out = call(ws, "read_file", config={"tool_output_max_bytes": 100_000}, path="min.js")
    first = out.output.splitlines()[0]
    assert first == "     1\t" + "a" * 2000 + " [... 3000 more characters]"
    assert "     2\tshort" in out.output


def test_read_file_refuses_binary_missing_and_directories(ws: Path) -> None:
    (ws / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    binary = call(ws, "read_file", path="img.png")
    assert not binary.ok and "img.png looks like a binary file (16 bytes)" in binary.output
    missing = call(ws, "read_file", path="src/nope.py")
    assert not missing.ok
    assert "src/nope.py does not exist" in missing.output and "list_dir" in missing.output
    folder = call(ws, "read_file", path="src")
    assert not folder.ok and "is a directory; use list_dir" in folder.output


def test_read_file_of_an_empty_file(ws: Path) -> None:
    (ws / "empty.txt").write_text("")
    out = call(ws, "read_file", path="empty.txt")
    assert out.ok and out.output == "(empty.txt is empty)"


def test_list_dir_shows_a_tree_without_noise(ws: Path) -> None:
    out = call(ws, "list_dir")
    assert out.ok
    assert out.output == (
        "./\n"
        "  src/\n"
        "    pkg/\n"
        "    util.py\n"
        "  README.md\n"
        "[not listed: .git/, .venv/, __pycache__/, node_modules/]"
    )
    deeper = call(ws, "list_dir", path="src", depth=3)
    assert deeper.output == "src/\n  pkg/\n    core.py\n  util.py"


def test_list_dir_caps_entries_and_says_how_many_were_left_out(ws: Path) -> None:
    many = ws / "many"
    many.mkdir()
    for i in range(450):
        (many / f"f{i:03d}.txt").write_text("")
    out = call(ws, "list_dir", path="many", depth=1)
    lines = out.output.splitlines()
    assert lines[1] == "  f000.txt" and lines[400] == "  f399.txt"
    assert lines[-1] == "[50 more entries not shown; list a subdirectory or use a smaller depth]"


def test_list_dir_shows_symlinks_without_following_them(ws: Path) -> None:
    (ws / "link").symlink_to(ws / "src")
    out = call(ws, "list_dir", depth=3)
    assert f"  link/ -> {ws / 'src'}" in out.output.splitlines()
    assert out.output.count("core.py") == 1


def test_list_dir_errors(ws: Path) -> None:
    assert "does not exist" in call(ws, "list_dir", path="nope").output
    file_out = call(ws, "list_dir", path="README.md")
    assert not file_out.ok and "is a file, not a directory; use read_file" in file_out.output


@pytest.fixture(params=["rg", "python"])
def searcher(request: pytest.FixtureRequest) -> SearchTool:
    if request.param == "rg" and not HAVE_RG:
        pytest.skip("ripgrep is not installed")
    return SearchTool(use_rg=request.param == "rg")


def search(ws: Path, tool: SearchTool, config: dict | None = None, **args) -> ToolOutput:
    return call(ws, "search", tools=[tool], config=config, **args)


def test_search_finds_matches_as_path_line_text(ws: Path, searcher: SearchTool) -> None:
    out = search(ws, searcher, pattern=r"alpha")
    assert out.ok
    assert out.output.splitlines() == [
        "README.md:1:# project alpha",
        "src/pkg/core.py:2:    return 'alpha'",
    ]


def test_search_case_glob_and_path(ws: Path, searcher: SearchTool) -> None:
    out = search(ws, searcher, pattern="alpha", case_sensitive=False, glob="*.py")
    assert sorted(out.output.splitlines()) == [
        "src/pkg/core.py:1:def Alpha():",
        "src/pkg/core.py:2:    return 'alpha'",
        "src/util.py:2:ALPHA = 1",
    ]
    scoped = search(ws, searcher, pattern="^import", path="src")
    assert scoped.output == "src/util.py:1:import os"
    one_file = search(ws, searcher, pattern="ALPHA", path="src/util.py")
    assert one_file.output == "src/util.py:2:ALPHA = 1"
    nested = search(ws, searcher, pattern="alpha", glob="src/**/*.py")
    assert nested.output == "src/pkg/core.py:2:    return 'alpha'"


def test_search_caps_results_with_a_note(ws: Path, searcher: SearchTool) -> None:
    (ws / "many.txt").write_text("hit\n" * 30)
    out = search(ws, searcher, pattern="^hit$", max_results=5)
    lines = out.output.splitlines()
    assert lines[:5] == [f"many.txt:{i}:hit" for i in range(1, 6)]
    assert lines[5].startswith("[showing the first 5 matches; there are more")


def test_search_without_matches_is_ok(ws: Path, searcher: SearchTool) -> None:
    out = search(ws, searcher, pattern="zebra")
    assert out.ok and out.output == "no matches for 'zebra' in ."


def test_search_skips_binary_files(ws: Path, searcher: SearchTool) -> None:
    (ws / "data.bin").write_bytes(b"alpha\x00\x01\x02")
    out = search(ws, searcher, pattern="alpha", glob="*.bin")
    assert out.output == "no matches for 'alpha' in . (files matching *.bin)"


def test_search_look_around_works_with_either_engine(ws: Path, searcher: SearchTool) -> None:
    out = search(ws, searcher, pattern=r"(?<=return )'alpha'")
    assert out.output == "src/pkg/core.py:2:    return 'alpha'"


def test_search_invalid_regex_is_explained(ws: Path, searcher: SearchTool) -> None:
    out = search(ws, searcher, pattern="def (")
    assert not out.ok
    assert "error:" in out.output and "def (" in out.output


def test_search_fallback_matches_ripgrep(ws: Path) -> None:
    if not HAVE_RG:
        pytest.skip("ripgrep is not installed")
    (ws / "src" / "deep" / "er").mkdir(parents=True)
    (ws / "src" / "deep" / "er" / "x.txt").write_text("alpha beta\nALPHA\n")
    (ws / ".github").mkdir()
    (ws / ".github" / "ci.yml").write_text("name: alpha\n")
    for glob in (None, "*.txt", "!*.md"):
        args = {"pattern": "(?i)alpha", "glob": glob}
        rg = search(ws, SearchTool(use_rg=True), **args).output
        py = search(ws, SearchTool(use_rg=False), **args).output
        assert rg == py
    assert ".github/ci.yml:1:name: alpha" in rg


def test_hidden_paths_are_refused_by_every_read_tool(ws: Path, kodo_home: Path) -> None:
    (kodo_home / "auth.json").write_text('{"token": "alpha-secret"}\n')
    secrets = ws / "secrets"
    secrets.mkdir()
    (secrets / "key.pem").write_text("alpha private key\n")
    (ws / "innocent.txt").symlink_to(kodo_home / "auth.json")
    config = {"hidden_paths": [str(secrets)]}
    for path in (str(kodo_home / "auth.json"), "secrets/key.pem", "innocent.txt"):
        out = call(ws, "read_file", config=config, path=path)
        assert not out.ok and "is hidden from kodo" in out.output, path
    for name, args in (
        ("list_dir", {"path": "secrets"}),
        ("search", {"pattern": "x", "path": str(kodo_home)}),
    ):
        out = call(ws, name, config=config, **args)
        assert not out.ok and "is hidden from kodo" in out.output
    listing = call(ws, "list_dir", config=config).output
    assert "secrets" not in listing and "innocent" not in listing
    for tool in (SearchTool(use_rg=True), SearchTool(use_rg=False)):
        if tool.use_rg and not HAVE_RG:
            continue
        out = search(ws, tool, config=config, pattern="secret|private")
        assert out.output == "no matches for 'secret|private' in .", tool.use_rg
