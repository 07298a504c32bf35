"""Files a task names, attached for small models: only regular files inside the workspace."""

from __future__ import annotations

import os
from pathlib import Path

from kodo.agent.attachments import named_files
from kodo.config import Config


def test_named_files_attaches_workspace_files_only(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "app.py").write_text("print('hi')\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    (ws / "link.txt").symlink_to(secret)
    os.mkfifo(ws / "pipe.txt")
    text = named_files("fix app.py, read link.txt and pipe.txt", ws, Config()) or ""
    assert "FILE: app.py\n```\nprint('hi')\n```" in text
    assert "TOP-SECRET" not in text and "pipe.txt" not in text
    assert (ws / "link.txt").read_text() == "TOP-SECRET"  # the link does lead out


def test_nothing_named_attaches_nothing(tmp_path: Path) -> None:
    assert named_files("write a hello world", tmp_path, Config()) is None
