"""The tools a session offers the model."""

from __future__ import annotations

from kodo.tools.builtin import file_tools
from kodo.tools.diagnose import DiagnoseTool
from kodo.tools.process import ProcessTool
from kodo.tools.registry import ToolRegistry
from kodo.tools.shell import ShellTool


def default_tools() -> ToolRegistry:
    return ToolRegistry([ShellTool(), ProcessTool(), *file_tools(), DiagnoseTool()])
