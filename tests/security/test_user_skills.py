"""The person's own skills (``$KODO_HOME/skills``) are readable and runnable by the model, in
the real sandbox and through the host file tools, while the rest of ``$KODO_HOME`` (config,
trusted projects, sessions, models) stays out of reach, links and hidden paths included.

Each refusal has a positive control (the same probe reading the same file unsandboxed), so no
test passes because its probe is broken. Everything lives under /var/tmp: the sandbox's /tmp is
private, and a real KODO_HOME (~/.kodo) is not under /tmp either.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodo.config import Config
from kodo.records import read
from kodo.sandbox.bwrap import BwrapExecutor
from kodo.skills import discover_skills
from kodo.skills.tool import LoadSkillArgs, LoadSkillTool
from kodo.tools.base import ToolContext
from kodo.tools.list_dir import ListDirArgs, ListDirTool
from kodo.tools.read_file import ReadFileArgs, ReadFileTool

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")

SECRETS = {
    "config.toml": "SECRET-CONFIG",
    "trusted_projects.json": "SECRET-TRUST",
    "sessions/2026/s.jsonl": "SECRET-SESSION",
    "models/m.gguf": "SECRET-MODEL",
}


@pytest.fixture
def base() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="kodo-skills-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def home(base: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A KODO_HOME with secrets and one skill that has a script and a reference file."""
    home = base / "kodo-home"
    for rel, text in SECRETS.items():
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / rel).write_text(text)
    skill = home / "skills" / "helper"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: helper\ndescription: helps\n---\nRun run.py.\n")
    (skill / "run.py").write_text("print('SKILL-SCRIPT-RAN')\n")
    (skill / "reference.md").write_text("SKILL-REFERENCE\n")
    monkeypatch.setenv("KODO_HOME", str(home))
    return home


@pytest.fixture
def workspace(base: Path) -> Path:
    ws = base / "ws"
    ws.mkdir()
    return ws


def sandboxed(workspace: Path, script: str, **config: object) -> str:
    ex = BwrapExecutor(read(Config, config), workspace)
    try:
        result = ex.run(
            ["bash", "-c", script], cwd=workspace, timeout_s=60, max_output_bytes=32_000
        )
    finally:
        ex.close()
    return result.output


def unsandboxed(workspace: Path, script: str) -> str:
    """The positive control: the same probe as a plain process."""
    done = subprocess.run(
        ["bash", "-c", script], cwd=workspace, capture_output=True, text=True, timeout=60
    )
    return done.stdout + done.stderr


def cat_secrets(home: Path) -> str:
    return "; ".join(f"cat {home / rel} 2>/dev/null" for rel in SECRETS) + "; true"


def test_a_user_skill_runs_and_reads_in_the_sandbox_while_kodos_secrets_stay_hidden(
    home: Path, workspace: Path
) -> None:
    skill = home / "skills" / "helper"
    out = sandboxed(
        workspace,
        f"{sys.executable} {skill / 'run.py'}; cat {skill / 'reference.md'}; "
        f"ls -A {home}; {cat_secrets(home)}",
    )
    assert "SKILL-SCRIPT-RAN" in out and "SKILL-REFERENCE" in out
    assert "SECRET" not in out
    assert out.split("SKILL-REFERENCE\n")[1].split() == ["skills"]  # nothing else of KODO_HOME
    control = unsandboxed(workspace, cat_secrets(home))
    assert all(text in control for text in SECRETS.values())


def test_skills_are_read_only_in_the_sandbox(home: Path, workspace: Path) -> None:
    script = home / "skills" / "helper" / "run.py"
    out = sandboxed(workspace, f"echo 'print(1)' > {script} || echo WRITE-REFUSED")
    assert "WRITE-REFUSED" in out
    assert script.read_text() == "print('SKILL-SCRIPT-RAN')\n"


def test_a_link_in_a_skill_does_not_lead_to_the_rest_of_kodo_home(
    home: Path, workspace: Path
) -> None:
    skill = home / "skills" / "helper"
    (skill / "config-link").symlink_to(home / "config.toml")
    (skill / "up").symlink_to(home)
    probe = f"cat {skill / 'config-link'}; cat {skill / 'up' / 'trusted_projects.json'}; true"
    assert "SECRET" not in sandboxed(workspace, probe)
    assert "SECRET-CONFIG" in unsandboxed(workspace, probe)


def test_a_skills_folder_that_is_a_link_to_a_hidden_path_shows_nothing(
    home: Path, workspace: Path, base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = base / "person"
    (person / ".ssh").mkdir(parents=True)
    (person / ".ssh" / "id_rsa").write_text("SECRET-KEY")
    monkeypatch.setenv("HOME", str(person))
    shutil.rmtree(home / "skills")
    (home / "skills").symlink_to(person / ".ssh")
    probe = f"cat {home / 'skills' / 'id_rsa'}; cat {person / '.ssh' / 'id_rsa'}; true"
    assert "SECRET" not in sandboxed(workspace, probe)
    assert "SECRET-KEY" in unsandboxed(workspace, probe)


def test_a_hidden_path_inside_a_skill_stays_hidden(home: Path, workspace: Path) -> None:
    secret = home / "skills" / "helper" / "token.txt"
    secret.write_text("SECRET-IN-SKILL")
    hidden = [*Config().hidden_paths, str(secret)]
    out = sandboxed(
        workspace, f"cat {secret}; cat {home / 'skills/helper/reference.md'}", hidden_paths=hidden
    )
    assert "SECRET" not in out and "SKILL-REFERENCE" in out


def test_the_file_tools_read_what_load_skill_names_and_nothing_else_of_kodo_home(
    home: Path, workspace: Path
) -> None:
    ctx = ToolContext(cwd=workspace, config=Config(), emit=lambda e: None, executor=None)  # type: ignore[arg-type]
    skills, _ = discover_skills(workspace)
    loaded = LoadSkillTool(skills).run(LoadSkillArgs(name="helper"), ctx)
    listed = [line[2:] for line in loaded.output.splitlines() if line.startswith("- /")]
    assert sorted(Path(p).name for p in listed) == ["reference.md", "run.py"]
    read = ReadFileTool()
    for path in listed:
        assert read.run(ReadFileArgs(path=path), ctx).ok
    (home / "skills" / "helper" / "config-link").symlink_to(home / "config.toml")
    for path in [
        home / "config.toml",
        home / "trusted_projects.json",
        home / "skills" / "helper" / "config-link",
        home / "skills" / ".." / "config.toml",
    ]:
        out = read.run(ReadFileArgs(path=str(path)), ctx)
        assert not out.ok and "hidden" in out.output, path
    assert not ListDirTool().run(ListDirArgs(path=str(home)), ctx).ok
    listing = ListDirTool().run(ListDirArgs(path=str(home / "skills" / "helper")), ctx)
    assert "run.py" in listing.output and "config-link" not in listing.output
