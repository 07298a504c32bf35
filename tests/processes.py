"""Finding the processes a test started, by a marker in their command line."""

from __future__ import annotations

from pathlib import Path


def processes_matching(marker: str) -> list[int]:
    """Live processes whose command line contains ``marker`` (zombies are dead, so skipped)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found
