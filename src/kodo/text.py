"""Keeping long text within a budget without losing its most useful parts."""

from __future__ import annotations


def cap_middle(text: str, max_bytes: int) -> str:
    """Keep the head and the tail, replacing the middle with a line that says how much was cut:
    errors tend to be at the end of an output and the command's context at its start."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    half = max_bytes // 2
    head = data[:half].decode("utf-8", errors="ignore")
    tail = data[len(data) - half :].decode("utf-8", errors="ignore")
    omitted = len(data) - len(head.encode()) - len(tail.encode())
    return f"{head}\n[... {omitted} bytes omitted ...]\n{tail}"
