"""The built-in tools for looking at and changing files, and the plan checklist."""

from __future__ import annotations

from kodo.tools.apply_patch import ApplyPatchTool
from kodo.tools.base import Tool
from kodo.tools.list_dir import ListDirTool
from kodo.tools.read_file import ReadFileTool
from kodo.tools.search import SearchTool
from kodo.tools.update_plan import UpdatePlanTool


def file_tools() -> list[Tool]:
    return [ApplyPatchTool(), ReadFileTool(), ListDirTool(), SearchTool(), UpdatePlanTool()]
