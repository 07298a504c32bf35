"""Each message's wire JSON, encoded once: between turns a conversation only grows, so a
request body is assembled from the pieces encoded when each message was first sent, and the
per-turn cost of building it does not grow with the history."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kodo.models.base import Message


class EncodedMessages:
    """Pieces by message identity; a message's pieces are kept while it is still sent, so a
    compacted or rebuilt conversation frees what it no longer holds."""

    def __init__(self, encode: Callable[[Message], list[str]]) -> None:
        self._encode = encode
        self._cache: dict[int, tuple[Message, list[str]]] = {}

    def pieces(self, messages: Iterable[Message]) -> list[list[str]]:
        kept: dict[int, tuple[Message, list[str]]] = {}
        out: list[list[str]] = []
        for message in messages:
            hit = self._cache.get(id(message))
            if hit is None or hit[0] is not message:
                hit = (message, self._encode(message))
            kept[id(message)] = hit
            out.append(hit[1])
        self._cache = kept
        return out


def json_object(raw: dict[str, str], rest: str) -> str:
    """A JSON object from already-encoded members (name -> JSON text) and ``rest``, the JSON
    text of an object holding the other members."""
    members = ",".join(f'"{name}":{value}' for name, value in raw.items())
    inner = rest.strip()[1:-1].strip()
    return "{" + members + ("," + inner if inner else "") + "}"
