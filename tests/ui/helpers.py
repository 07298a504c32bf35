"""Small helpers for the shell's end-to-end tests: patches and process checks."""

from __future__ import annotations

import time


def patch_add(path: str, body: str) -> str:
    lines = "".join(f"+{line}\n" for line in body.splitlines())
    return f"*** Begin Patch\n*** Add File: {path}\n{lines}*** End Patch\n"


def wait_until(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
