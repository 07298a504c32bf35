from __future__ import annotations

from pathlib import Path

from kodo.agent.instructions import project_instructions, system_prompt


def test_agents_md_global_then_root_down_to_cwd(tmp_path: Path, kodo_home: Path) -> None:
    repo = tmp_path / "repo"
    sub = repo / "pkg" / "sub"
    sub.mkdir(parents=True)
    (repo / ".git").mkdir()
    (kodo_home / "AGENTS.md").write_text("GLOBAL")
    (tmp_path / "AGENTS.md").write_text("OUTSIDE THE REPO")
    (repo / "AGENTS.md").write_text("ROOT")
    (sub / "AGENTS.md").write_text("NEAREST")
    text = project_instructions(sub)
    assert text is not None
    assert "OUTSIDE" not in text
    assert text.index("GLOBAL") < text.index("ROOT") < text.index("NEAREST")


def test_no_instructions_gives_none(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert project_instructions(tmp_path) is None


def test_system_prompt_is_a_stable_template() -> None:
    assert system_prompt() == system_prompt()
    assert "apply_patch" in system_prompt()


def test_an_override_file_is_read_instead_of_agents_md_in_its_folder(
    tmp_path: Path, kodo_home: Path
) -> None:
    repo = tmp_path / "repo"
    sub = repo / "sub"
    sub.mkdir(parents=True)
    (repo / ".git").mkdir()
    (kodo_home / "AGENTS.md").write_text("GLOBAL")
    (kodo_home / "AGENTS.override.md").write_text("GLOBAL OVERRIDE")
    (repo / "AGENTS.md").write_text("ROOT")
    (repo / "AGENTS.override.md").write_text("ROOT OVERRIDE")
    (sub / "AGENTS.md").write_text("NEAREST")
    text = project_instructions(sub)
    assert text is not None
    assert "GLOBAL OVERRIDE" in text and "ROOT OVERRIDE" in text and "NEAREST" in text
    assert "GLOBAL\n" not in text and "ROOT\n" not in text
    assert text.index("GLOBAL OVERRIDE") < text.index("ROOT OVERRIDE") < text.index("NEAREST")
