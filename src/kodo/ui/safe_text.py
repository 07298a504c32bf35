"""Text from the model, from commands and from files, made safe to put on the terminal.

Such text may carry escape sequences that move the cursor, rewrite what an approval prompt
shows, set the clipboard (OSC 52) or retitle the window; ``\\r`` and backspace overwrite what is
already shown, and bidi overrides reorder it. rich passes most of these through, so everything
kodo prints that it did not write itself goes through ``visible`` first: they are shown as
escapes (``\\x1b``) instead. Newlines and tabs are kept, and ``\\r\\n`` counts as a newline.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 controls but tab and newline, DEL, C1 controls
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"  # bidi marks, embeddings and overrides
)


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, newlines: bool = True) -> str:
    """``text`` with every control character spelled out; ``newlines=False`` spells out
    newlines too, for text that must stay on one line."""
    shown = _UNSAFE.sub(_shown, text.replace("\r\n", "\n"))
    return shown if newlines else shown.replace("\n", "\\n")


def markup_safe(text: str) -> str:
    """``visible`` text for a rich markup string: ``[link=...]`` and the like stay text."""
    from rich.markup import escape

    return escape(visible(text))
