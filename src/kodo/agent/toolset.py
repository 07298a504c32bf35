"""The tools a session offers the model."""

from __future__ import annotations

from kodo.agent.skills import Skill
from kodo.tools.builtin import file_tools
from kodo.tools.diagnose import DiagnoseTool
from kodo.tools.load_skill import LoadSkillTool
from kodo.tools.process import ProcessTool
from kodo.tools.registry import ToolRegistry
from kodo.tools.shell import ShellTool


def default_tools(skills: list[Skill]) -> ToolRegistry:
    tools = [ShellTool(), ProcessTool(), *file_tools(), DiagnoseTool()]
    if skills:
        tools.append(LoadSkillTool(skills))
    return ToolRegistry(tools)
