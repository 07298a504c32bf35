"""Leaving the process once a command has flushed and closed everything it opened.

A normal interpreter exit walks every object the session created (about 150 000 after a
session: the modules, their classes, the conversation) to free it, which costs more than the
whole last turn; nothing of it matters to anyone once the session file is closed and the
sandbox stopped. So the command's output is flushed and the process ends at once. A reader
that went away (``kodo exec --json | head -1``) is no error at this point: what it missed was
also written to the session file.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn


def leave(code: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    os._exit(code)
