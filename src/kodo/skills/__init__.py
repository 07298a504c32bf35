"""Skills: folders with a SKILL.md (YAML front matter ``name`` and ``description``, then
instructions), found in kodo's built-in skills, the person's ``~/.agents/skills`` and
``$KODO_HOME/skills``, the project's ``.agents/skills`` (the folder other agents use, in each
folder from the repository root down to the working directory) and ``.kodo/skills``; later
sources override earlier ones of the same name.

Only names and descriptions go into the system prompt; the model loads a body when it decides
it needs it, which keeps every request small. This package holds all of it: discovery here,
the ``load_skill`` tool in ``tool.py``, ``kodo skills`` in ``command.py``, and the built-in
skills as the folders beside them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kodo.config import kodo_home

SKILL_FILE = "SKILL.md"


class SkillError(Exception):
    pass


def lies_in(path: Path, root: Path) -> bool:
    """Whether ``path``, links resolved, is inside ``root``. A project's AGENTS.md or skill
    that is a link to ``~/.ssh/id_rsa`` would otherwise be read on the host and sent to the
    model provider."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


@dataclass
class Skill:
    name: str
    description: str
    path: Path  # the SKILL.md file
    source: str  # builtin, user or project
    root: Path  # the skills folder it came from; its files must stay inside

    def body(self) -> str:
        if not lies_in(self.path, self.root):
            raise SkillError(f"{self.path}: links outside {self.root}; not read")
        return _split_front_matter(self.path.read_text(encoding="utf-8"), self.path)[1]

    def files(self) -> list[Path]:
        """Resolved, so they are named where the sandbox and the file tools can reach them."""
        folder = Path(os.path.realpath(self.path.parent))
        own = folder / SKILL_FILE
        return sorted(p for p in folder.rglob("*") if p.is_file() and p != own)


_PLAIN_LINE = re.compile(r"([A-Za-z_][\w-]*): +(.*)")
# what YAML would read as something other than the same text: indicators, bools, numbers, nulls
_NOT_PLAIN = re.compile(
    r"""[-?:,\[\]{}#&*!|>'"%@`]|.*(: | #|:$)|(?i:true|false|yes|no|on|off|y|n|null|~)$"""
    r"|[-+.\d]"
)


def _plain_header(header: str) -> dict[str, str] | None:
    """Front matter of only ``key: plain text`` lines, read without YAML (whose import costs
    more than the rest of skill discovery); None when it needs a real YAML reader."""
    meta: dict[str, str] = {}
    for line in header.strip("\n").split("\n"):
        match = _PLAIN_LINE.fullmatch(line.rstrip())
        plain = match is not None and not _NOT_PLAIN.match(match[2]) and match[2].isprintable()
        if match is None or not plain or match[1] in meta:
            return None
        meta[match[1]] = match[2]
    return meta


def _split_front_matter(text: str, path: Path) -> tuple[dict, str]:
    if not text.startswith("---"):
        raise SkillError(f"{path}: must start with YAML front matter between '---' lines")
    try:
        _, header, body = text.split("---", 2)
    except ValueError as exc:
        raise SkillError(f"{path}: unreadable front matter: {exc}") from exc
    meta = _plain_header(header)
    if meta is not None:
        return meta, body.strip()
    import yaml

    try:
        # libyaml's loader when there is one: the same safe subset, ten times faster
        meta = yaml.load(header, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as exc:
        raise SkillError(f"{path}: unreadable front matter: {exc}") from exc
    if not isinstance(meta, dict):
        raise SkillError(f"{path}: front matter must be a mapping with name and description")
    return meta, body.strip()


def _load(path: Path, source: str, root: Path) -> Skill:
    if not lies_in(path, root):
        raise SkillError(f"{path}: links outside {root}; skipped")
    meta, _ = _split_front_matter(path.read_text(encoding="utf-8"), path)
    name, description = meta.get("name"), meta.get("description")
    if not isinstance(name, str) or not isinstance(description, str):
        raise SkillError(f"{path}: front matter needs string fields 'name' and 'description'")
    description = " ".join(description.split())
    return Skill(name=name, description=description, path=path, source=source, root=root)


def repo_root(cwd: Path) -> Path:
    """The nearest folder at or above ``cwd`` with a ``.git``; ``cwd`` itself outside one."""
    for candidate in (cwd, *cwd.parents):
        if (candidate / ".git").exists():
            return candidate
    return cwd


def skill_roots(cwd: Path) -> list[tuple[str, Path]]:
    """Where skills are looked for, lowest precedence first."""
    builtin = Path(str(resources.files("kodo.skills")))  # the SKILL.md folders beside this file
    chain = [cwd, *cwd.parents]
    down = reversed(chain[: chain.index(repo_root(cwd)) + 1])
    return [
        ("builtin", builtin),
        ("user", Path.home() / ".agents" / "skills"),
        ("user", kodo_home() / "skills"),
        *(("project", folder / ".agents" / "skills") for folder in down),
        ("project", cwd / ".kodo" / "skills"),
    ]


def discover_skills(cwd: Path) -> tuple[list[Skill], list[str]]:
    """All usable skills by name, and a message for each SKILL.md that could not be read."""
    found: dict[str, Skill] = {}
    problems: list[str] = []
    for source, root in skill_roots(cwd):
        if not root.is_dir():
            continue
        for path in sorted(root.glob(f"*/{SKILL_FILE}")):
            try:
                skill = _load(path, source, root)
            except (SkillError, OSError) as exc:
                problems.append(str(exc))
                continue
            found[skill.name] = skill
    return sorted(found.values(), key=lambda s: s.name), problems


def skills_prompt(skills: list[Skill]) -> str:
    if not skills:
        return ""
    lines = [
        "# Skills",
        "Skills hold instructions for specific kinds of work. When a task matches a skill's",
        "description, call `load_skill` with its name before you start, and follow it.",
        "",
    ]
    lines += [f"- {s.name}: {s.description}" for s in skills]
    return "\n".join(lines)
