"""Turns an MCP tool result into the text the model reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CallResult:
    text: str
    is_error: bool


def _block_text(block: Any) -> str:
    kind = getattr(block, "type", "unknown")
    if kind == "text":
        return str(block.text)
    if kind in ("image", "audio"):
        return f"[{kind} content: {block.mime_type}]"
    if kind == "resource_link":
        return f"[resource link: {block.uri}]"
    if kind == "resource":
        resource = block.resource
        text = getattr(resource, "text", None)
        if text is not None:
            return f"[resource {resource.uri}]\n{text}"
        return f"[embedded resource: {resource.uri}]"
    return f"[{kind} content]"


def render_result(result: Any) -> CallResult:
    """Text blocks verbatim, other content named by type (the model cannot see binary data);
    structured content is shown only when there is no text, since servers usually repeat it."""
    parts = [_block_text(block) for block in result.content]
    has_text = any(getattr(block, "type", None) == "text" for block in result.content)
    if not has_text and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    text = "\n".join(parts) if parts else "(no output)"
    return CallResult(text=text, is_error=bool(result.is_error))
