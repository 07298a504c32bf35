"""The agent tool returns the same JSON as the CLI, with paths relative to ctx.cwd."""

from __future__ import annotations

import json
import shutil

from kodo.config import Config
from kodo.tools.base import ToolContext
from kodo.tools.diagnose import DiagnoseArgs, DiagnoseTool


def _ctx(cwd) -> ToolContext:
    return ToolContext(cwd=cwd, config=Config(), emit=lambda e: None, executor=None)


def test_tool_returns_json_for_relative_paths(data, tmp_path) -> None:
    shutil.copytree(data / "multirank" / "behind_rank3_of_8", tmp_path / "logs")
    out = DiagnoseTool().run(DiagnoseArgs(paths=["logs"]), _ctx(tmp_path))
    assert out.ok
    doc = json.loads(out.output)
    assert doc["findings"][0]["class"] == "collective_timeout"
    assert doc["findings"][0]["ranks"][0] == 3


def test_tool_reports_unreadable_path(tmp_path) -> None:
    out = DiagnoseTool().run(DiagnoseArgs(paths=["missing.log"]), _ctx(tmp_path))
    assert not out.ok and "missing.log" in out.output
