from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kodo.agent.instructions import system_prompt
from kodo.config import Config
from kodo.skills import discover_skills
from kodo.skills.tool import LoadSkillArgs, LoadSkillTool
from kodo.tools.base import ToolContext


def make_skill(root: Path, folder: str, text: str) -> Path:
    path = root / folder / "SKILL.md"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_builtin_user_and_project_skills(tmp_path: Path, kodo_home: Path) -> None:
    make_skill(kodo_home / "skills", "mine", "---\nname: mine\ndescription: user skill\n---\nDo X.")
    make_skill(
        tmp_path / ".kodo" / "skills",
        "web",
        "---\nname: web-api\ndescription: project override\n---\nProject way.",
    )
    make_skill(tmp_path / ".kodo" / "skills", "broken", "no front matter")
    skills, problems = discover_skills(tmp_path)
    by_name = {s.name: s for s in skills}
    assert {"mine", "web-api", "pytorch-training", "distributed-debugging"} <= set(by_name)
    assert by_name["web-api"].source == "project"
    assert by_name["pytorch-training"].source == "builtin"
    assert len(problems) == 1 and "front matter" in problems[0]


def test_prompt_lists_descriptions_and_tool_loads_bodies(tmp_path: Path) -> None:
    skills, _ = discover_skills(tmp_path)
    prompt = system_prompt(skills)
    assert "- web-api: Build or change an HTTP API" in prompt
    assert "hashlib.scrypt" not in prompt
    tool = LoadSkillTool(skills)
    ctx = ToolContext(cwd=tmp_path, config=Config(), emit=lambda e: None, executor=None)
    loaded = tool.run(LoadSkillArgs(name="web-api"), ctx)
    assert loaded.ok and "hashlib.scrypt" in loaded.output
    missing = tool.run(LoadSkillArgs(name="nope"), ctx)
    assert not missing.ok and "web-api" in missing.output


def test_kodo_skills_command(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kodo", "skills", "-C", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "pytorch-training" in out and "builtin" in out


def test_skills_in_the_folders_other_agents_use_are_found(
    tmp_path: Path, kodo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = tmp_path / "person"
    monkeypatch.setenv("HOME", str(person))
    repo = tmp_path / "repo"
    sub = repo / "pkg"
    sub.mkdir(parents=True)
    (repo / ".git").mkdir()
    make_skill(person / ".agents" / "skills", "a", "---\nname: shared\ndescription: home\n---\n.")
    make_skill(kodo_home / "skills", "b", "---\nname: mine\ndescription: kodo home\n---\n.")
    make_skill(repo / ".agents" / "skills", "c", "---\nname: mine\ndescription: repo\n---\n.")
    make_skill(sub / ".agents" / "skills", "d", "---\nname: near\ndescription: pkg\n---\n.")
    make_skill(tmp_path / ".agents" / "skills", "e", "---\nname: out\ndescription: above\n---\n.")
    skills, problems = discover_skills(sub)
    by_name = {s.name: (s.source, s.description) for s in skills}
    assert problems == []
    assert by_name["shared"] == ("user", "home")
    assert by_name["mine"] == ("project", "repo")  # the project's wins over the person's
    assert by_name["near"] == ("project", "pkg")
    assert "out" not in by_name  # above the repository: not the project's


@pytest.mark.parametrize(
    "header",
    [
        "name: a\ndescription: Build things (auth, tests), then run them.",
        "name: a\ndescription: 'quoted'",
        'name: a\ndescription: "double # quoted"',
        "name: a\ndescription: yes",
        "name: a\ndescription: Null",
        "name: a\ndescription: 1.5",
        "name: a\ndescription: 2024-01-01",
        "name: a\ndescription: .inf",
        "name: a\ndescription: x: y",
        "name: a\ndescription: trailing:",
        "name: a\ndescription: a # comment",
        "name: a\ndescription: - item",
        "name: a\ndescription: [list, of, things]",
        "name: a\ndescription: &anchor value",
        "name: a\ndescription: |\n  block\n  text",
        "name: a\ndescription: folded\n  onto two lines",
        "name: a\ndescription: tab\there",
        "name: a\ndescription: b\u2028c",
        "name: a\r\ndescription: windows line ends\r\n",
        "name: a\ndescription: a\\b 'q' \"q\" 50% {x}",
        "name: a\nname: b",
        "name:a\ndescription: no space after the first colon",
    ],
)
def test_front_matter_without_yaml_reads_what_yaml_reads_or_leaves_it_to_yaml(
    header: str,
) -> None:
    """The fast reader of plain ``key: text`` front matter either declines or agrees with a
    real YAML reader, so a skill means the same whichever one read it."""
    import yaml

    from kodo.skills import _plain_header

    mine = _plain_header(header)
    if mine is not None:
        assert mine == yaml.safe_load(header)


def test_builtin_skills_are_read_without_importing_yaml() -> None:
    code = (
        "import sys; from pathlib import Path; from kodo.skills import discover_skills; "
        "skills, problems = discover_skills(Path('/')); "
        "assert len(skills) >= 3 and not problems, (skills, problems); "
        "assert 'yaml' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
