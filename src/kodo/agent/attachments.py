"""Files the task names, shown to a small model up front.

A 1.5B model rarely reads a file before rewriting it; it invents the code it was asked to fix.
Codex and Claude Code attach files a person mentions with ``@``; the compact profile attaches
the workspace files a task names by path, in the same ``FILE:`` form the model writes back."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from kodo.config import Config
from kodo.tools.fs_access import READ, HiddenPaths, looks_binary, open_at

_PATH = re.compile(r"(?<![\w/.-])([\w-][\w./-]*\.[A-Za-z0-9]{1,8})\b")
MAX_FILE_BYTES = 4_000
MAX_TOTAL_BYTES = 12_000


def named_files(task: str, cwd: Path, config: Config) -> str | None:
    """The contents of existing workspace files that ``task`` names, or None."""
    root = cwd.resolve()
    hidden = HiddenPaths(config)
    parts: list[str] = []
    total = 0
    seen: set[Path] = set()
    for name in _PATH.findall(task):
        path = (root / name).resolve()
        if path in seen or not path.is_relative_to(root) or hidden.covers(path):
            continue
        seen.add(path)
        try:  # the checked path itself, even if a sandboxed process swaps in a link meanwhile
            fd = open_at(path, READ)
        except OSError:
            continue
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            data = f.read(MAX_FILE_BYTES + 1)  # a huge file is never read whole
        if looks_binary(data) or len(data) > MAX_FILE_BYTES or total + len(data) > MAX_TOTAL_BYTES:
            continue
        total += len(data)
        text = data.decode("utf-8", errors="replace")
        parts.append(f"FILE: {name}\n```\n{text}{'' if text.endswith(chr(10)) else chr(10)}```")
    if not parts:
        return None
    return "The files the task names, as they are now:\n\n" + "\n\n".join(parts)
