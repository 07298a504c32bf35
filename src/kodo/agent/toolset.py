"""The tools a session offers the model: the full set, or the compact profile for small models
(two tools whose names cannot be mistaken for the user's own functions)."""

from __future__ import annotations

from kodo.config import Config
from kodo.skills import Skill
from kodo.skills.tool import LoadSkillTool
from kodo.tools.base import Tool
from kodo.tools.builtin import file_tools
from kodo.tools.diagnose import DiagnoseTool
from kodo.tools.job import JobTool
from kodo.tools.process import ProcessTool
from kodo.tools.registry import ToolRegistry
from kodo.tools.shell import BashTool, ShellTool
from kodo.tools.write_file import WriteFileTool


def default_tools(config: Config, skills: list[Skill]) -> ToolRegistry:
    if config.profile_name == "compact":
        return ToolRegistry([BashTool(), WriteFileTool()])
    tools: list[Tool] = [ShellTool(), ProcessTool(), *file_tools(), DiagnoseTool()]
    if skills:
        tools.append(LoadSkillTool(skills))
    if config.clusters:  # offered only where the person configured a cluster
        tools.append(JobTool())
    return ToolRegistry(tools)
