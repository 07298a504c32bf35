"""The system prompt and the project instructions (AGENTS.md) that open every conversation.

The system prompt is a fixed template so that providers can cache it; project instructions are
sent as a separate first user message, global first, then from the repository root down to the
working directory, so nearer files come later and win. In each of those folders an
``AGENTS.override.md`` (the convention Codex uses) is read instead of the ``AGENTS.md`` beside it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from kodo.config import kodo_home
from kodo.skills import Skill, lies_in, repo_root, skills_prompt

INSTRUCTIONS_FILE = "AGENTS.md"
OVERRIDE_FILE = "AGENTS.override.md"


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


def instruction_files(cwd: Path) -> list[Path]:
    cwd = cwd.resolve()
    found: list[Path] = []
    global_file = _in(kodo_home())
    if global_file is not None:
        found.append(global_file)
    root = repo_root(cwd)
    chain = [cwd, *cwd.parents]
    for directory in reversed(chain[: chain.index(root) + 1]):
        candidate = _in(directory)
        if candidate is not None and lies_in(candidate, root):
            found.append(candidate)
    return found


def _in(directory: Path) -> Path | None:
    """The instructions file of one folder: the override if there is one."""
    for name in (OVERRIDE_FILE, INSTRUCTIONS_FILE):
        if (directory / name).is_file():
            return directory / name
    return None


def project_instructions(cwd: Path) -> str | None:
    parts = []
    for path in instruction_files(cwd):
        text = path.read_text(encoding="utf-8", errors="replace").strip()
        if text:
            parts.append(f"## Instructions from {path}\n\n{text}")
    if not parts:
        return None
    return "# Project instructions (AGENTS.md)\n\n" + "\n\n".join(parts)
