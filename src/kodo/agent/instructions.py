"""The system prompt and the project instructions (AGENTS.md) that open every conversation.

The system prompt is a fixed template so that providers can cache it; project instructions are
sent as a separate first user message, global first, then from the repository root down to the
working directory, so nearer files come later and win.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kodo.agent.skills import Skill, lies_in, skills_prompt
from kodo.config import kodo_home

INSTRUCTIONS_FILE = "AGENTS.md"


def prompt_template(name: str) -> str:
    return resources.files("kodo.agent").joinpath(f"prompts/{name}").read_text(encoding="utf-8")


def system_prompt(skills: list[Skill] | None = None, profile: str = "full") -> str:
    """The fixed template, plus the catalogue of skills (names and descriptions only); the
    compact profile for small models has a short template and no skills."""
    if profile == "compact":
        return prompt_template("system_compact.md")
    catalogue = skills_prompt(skills or [])
    base = prompt_template("system.md")
    return f"{base}\n{catalogue}\n" if catalogue else base


def _repo_root(cwd: Path) -> Path:
    for candidate in (cwd, *cwd.parents):
        if (candidate / ".git").exists():
            return candidate
    return cwd


def instruction_files(cwd: Path) -> list[Path]:
    cwd = cwd.resolve()
    found: list[Path] = []
    global_file = kodo_home() / INSTRUCTIONS_FILE
    if global_file.is_file():
        found.append(global_file)
    root = _repo_root(cwd)
    chain = [cwd, *cwd.parents]
    for directory in reversed(chain[: chain.index(root) + 1]):
        candidate = directory / INSTRUCTIONS_FILE
        if candidate.is_file() and lies_in(candidate, root):
            found.append(candidate)
    return found


def project_instructions(cwd: Path) -> str | None:
    parts = []
    for path in instruction_files(cwd):
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        if text:
            parts.append(f"## Instructions from {path}\n\n{text}")
    if not parts:
        return None
    return "# Project instructions (AGENTS.md)\n\n" + "\n\n".join(parts)
