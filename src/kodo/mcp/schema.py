"""An MCP tool's input schema in the form each provider takes, and checks against the original.

Servers write any JSON Schema (pydantic's ``$defs``/``$ref`` and ``anyOf: [X, null]``, zod's
``type`` lists, arrays without ``items``); providers each accept a subset. What the model sees is
rewritten for its provider: every provider gets ``items`` on a bare array (OpenAI rejects the
schema otherwise); OpenAI-compatible servers, Ollama and the embedded model, whose tool parsers
and grammars know little JSON Schema, get references inlined and nullable types made plain.
The arguments are checked against the server's own schema, unchanged, before a call.
"""

from __future__ import annotations

from typing import Any

PLAIN_PROVIDERS = frozenset({"openai-chat", "ollama", "local"})
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SUBSCHEMAS = ("items", "additionalProperties", "not", "contains")


def for_provider(schema: dict[str, Any], provider: str) -> dict[str, Any]:
    """The schema the model of ``provider`` is shown; ``schema`` itself is not changed."""
    out: dict[str, Any] = dict(schema) if schema.get("type") == "object" else {"type": "object"}
    out.setdefault("properties", {})
    if provider in PLAIN_PROVIDERS:
        defs: dict[str, Any] = {**out.get("definitions", {}), **out.get("$defs", {})}
        out = {k: v for k, v in out.items() if k not in ("$defs", "definitions", "$schema")}
        out = _plain(_inline(out, defs, ()))
    return _with_items(out)


def _walk(schema: Any, change: Any) -> Any:
    """``schema`` with ``change`` applied to each direct subschema."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in _SUBSCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [change(item) for item in out[key]]
    for key in _SUBSCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: change(sub) for name, sub in out[key].items()}
    for key in _SUBSCHEMAS:
        if isinstance(out.get(key), dict):
            out[key] = change(out[key])
    return out


def _inline(schema: Any, defs: dict[str, Any], inside: tuple[str, ...]) -> Any:
    """References to ``defs`` replaced by what they name; one back into a definition being
    inlined (a recursive schema) becomes an open object, one kodo cannot resolve any value."""
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str):
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        name = ref.rsplit("/", 1)[-1]
        local = ref.startswith(("#/$defs/", "#/definitions/")) and name in defs
        if not local or name in inside:
            return {"type": "object", **rest} if local else rest
        return _inline({**defs[name], **rest}, defs, (*inside, name))
    return _walk(schema, lambda sub: _inline(sub, defs, inside))


def _plain(schema: Any) -> Any:
    """``type: [X, "null"]`` as ``type: X``, and ``anyOf``/``oneOf`` of one schema and null as
    that schema, keeping the outer description and default."""
    if not isinstance(schema, dict):
        return schema
    out = _walk(schema, _plain)
    kinds = out.get("type")
    if isinstance(kinds, list):
        rest = [kind for kind in kinds if kind != "null"]
        out["type"] = rest[0] if len(rest) == 1 else rest or "null"
    for key in ("anyOf", "oneOf"):
        options = out.get(key)
        if not isinstance(options, list):
            continue
        rest = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
        if len(rest) == 1 and isinstance(rest[0], dict):
            del out[key]
            out = {**rest[0], **out}
        elif len(rest) < len(options):
            out[key] = rest
    return out


def _with_items(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema
    out = _walk(schema, _with_items)
    kinds = out.get("type")
    is_array = kinds == "array" or (isinstance(kinds, list) and "array" in kinds)
    if is_array and "items" not in out and "prefixItems" not in out:
        out["items"] = {}
    return out


def argument_problem(schema: dict[str, Any], arguments: dict[str, Any]) -> str | None:
    """Why ``arguments`` do not fit the server's schema, or None. A schema kodo cannot use
    (invalid, or with references it cannot resolve) checks nothing: the server still does."""
    from jsonschema import SchemaError
    from jsonschema.validators import validator_for
    from referencing import Registry
    from referencing.exceptions import Unresolvable

    try:
        cls = validator_for(schema)
        cls.check_schema(schema)
        errors = sorted(
            cls(schema, registry=Registry()).iter_errors(arguments), key=lambda e: list(e.path)
        )
    except (SchemaError, Unresolvable):
        return None
    if not errors:
        return None
    parts = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error.absolute_path) or "(arguments)"
        parts.append(f"{where}: {error.message}")
    return "; ".join(parts)
