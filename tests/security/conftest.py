"""Fixtures the attack tests share: the sandbox's (scratch space outside /tmp, executors closed
after each test) and a bait folder outside the workspace and outside /tmp."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.conftest import base, sandbox, workspace

__all__ = ["bait", "base", "sandbox", "workspace"]


@pytest.fixture
def bait() -> Iterator[Path]:
    """Outside the workspace and outside /tmp (private inside the sandbox)."""
    path = Path(tempfile.mkdtemp(prefix="kodo-bait-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
