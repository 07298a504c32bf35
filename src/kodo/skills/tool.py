"""``load_skill``: the model pulls a skill's instructions into the conversation when it needs
them, instead of every request carrying all of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kodo.records import spec
from kodo.skills import Skill, SkillError
from kodo.tools.base import ToolContext, ToolOutput


@dataclass(kw_only=True)
class LoadSkillArgs:
    name: str = spec(description="The skill's name, as listed under Skills.")


class LoadSkillTool:
    name: ClassVar[str] = "load_skill"
    description: ClassVar[str] = (
        "Load a skill's full instructions (and the paths of its scripts and references) by name."
    )
    Args: ClassVar[type] = LoadSkillArgs

    def __init__(self, skills: list[Skill]) -> None:
        self.skills = {s.name: s for s in skills}

    def describe(self, args: LoadSkillArgs) -> str:
        return f"load_skill {args.name}"

    def run(self, args: LoadSkillArgs, ctx: ToolContext) -> ToolOutput:
        skill = self.skills.get(args.name)
        if skill is None:
            known = ", ".join(self.skills) or "none"
            return ToolOutput(f"error: no skill named {args.name!r}. Skills: {known}.", ok=False)
        try:
            body = skill.body()
        except (SkillError, OSError) as exc:
            return ToolOutput(f"error: skill {skill.name!r} cannot be read: {exc}", ok=False)
        text = f"# Skill: {skill.name}\n\n{body}"
        files = skill.files()
        if files:
            text += "\n\nFiles of this skill (read them with read_file when needed):\n"
            text += "\n".join(f"- {p}" for p in files)
        return ToolOutput(text)
