from __future__ import annotations

from pathlib import Path

import pytest

from kodo.config import ConfigError, load_config, read_project_config
from kodo.trust import TrustStore


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_defaults_are_secure(tmp_path: Path) -> None:
    cfg = load_config(tmp_path)
    assert cfg.sandbox_mode == "workspace-write"
    assert cfg.network_access is False
    assert cfg.max_turns == 100
    assert "~/.ssh" in cfg.hidden_paths


def test_precedence_home_project_profile_env_override_flag(
    tmp_path: Path, kodo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home_toml = 'model = "home"\nmax_turns = 7\n[profiles.fast]\nmax_turns = 3\n'
    write(kodo_home / "config.toml", home_toml)
    write(tmp_path / ".kodo" / "config.toml", 'model = "project"\n')
    assert load_config(tmp_path).model == "home"  # model needs trust: it decides the cost
    TrustStore(kodo_home).trust(read_project_config(tmp_path))
    assert load_config(tmp_path).model == "project"
    assert load_config(tmp_path).max_turns == 7
    assert load_config(tmp_path, profile="fast").max_turns == 3
    monkeypatch.setenv("KODO_MODEL", "from-env")
    assert load_config(tmp_path).model == "from-env"
    cfg = load_config(tmp_path, overrides=["model=override", "limits.memory_mb=512"])
    assert cfg.model == "override"
    assert cfg.limits.memory_mb == 512
    assert load_config(tmp_path, overrides=["model=o"], flags={"model": "flag"}).model == "flag"


def test_each_level_beats_the_one_below(
    tmp_path: Path, kodo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """defaults < user config < project config < profile < KODO_* env < -c < flags, one key."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert load_config(tmp_path).model == "gpt-5"
    write(kodo_home / "config.toml", 'model = "user"\n')
    assert load_config(tmp_path).model == "user"
    write(
        tmp_path / ".kodo" / "config.toml", 'model = "project"\n[profiles.p]\nmodel = "profile"\n'
    )
    TrustStore(kodo_home).trust(read_project_config(tmp_path))
    assert load_config(tmp_path).model == "project"
    assert load_config(tmp_path, profile="p").model == "profile"
    monkeypatch.setenv("KODO_MODEL", "env")
    assert load_config(tmp_path, profile="p").model == "env"
    assert load_config(tmp_path, profile="p", overrides=["model=cli"]).model == "cli"
    cfg = load_config(tmp_path, profile="p", overrides=["model=cli"], flags={"model": "flag"})
    assert cfg.model == "flag" and cfg.profile == "p"


def test_a_profile_chosen_by_env_or_c_still_yields_to_them(
    tmp_path: Path, kodo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(kodo_home / "config.toml", "[profiles.p]\nmax_turns = 3\n[profiles.q]\nmax_turns = 4\n")
    monkeypatch.setenv("KODO_PROFILE", "p")
    assert load_config(tmp_path).max_turns == 3
    assert load_config(tmp_path, overrides=["profile=q"]).max_turns == 4
    assert load_config(tmp_path, overrides=["profile=q", "max_turns=9"]).max_turns == 9


def test_bad_config_names_the_problem(tmp_path: Path, kodo_home: Path) -> None:
    write(kodo_home / "config.toml", "max_turns = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path)
    write(kodo_home / "config.toml", 'sandbox_mode = "yolo"\n')
    with pytest.raises(ConfigError, match="sandbox_mode"):
        load_config(tmp_path)
    write(kodo_home / "config.toml", "")
    with pytest.raises(ConfigError, match="profile 'nope' not found"):
        load_config(tmp_path, profile="nope")
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_config(tmp_path, overrides=["model"])


def test_a_repository_config_nested_past_the_reader_is_a_clear_error(
    tmp_path: Path, kodo_home: Path
) -> None:
    """Read before it is trusted (to say what it wants): a hostile one must not crash kodo."""
    write(tmp_path / ".kodo" / "config.toml", "a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ConfigError, match=r"config\.toml: not valid TOML: nested too deeply"):
        load_config(tmp_path)


def test_the_provider_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    keyless = load_config(tmp_path)
    assert (keyless.provider, keyless.provider_defaulted) == ("local", True)
    assert keyless.profile_name == "compact" and keyless.tool_call_format == "text"
    assert keyless.model == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    assert load_config(tmp_path).model == "claude-sonnet-4-5"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    chosen = load_config(tmp_path)
    assert (chosen.provider, chosen.provider_defaulted, chosen.model) == ("openai", False, "gpt-5")
    assert chosen.profile_name == "full" and chosen.tool_call_format == "auto"
    explicit = load_config(tmp_path, flags={"provider": "local", "model": "x.gguf"})
    assert not explicit.provider_defaulted and explicit.tool_output_max_bytes == 4000
