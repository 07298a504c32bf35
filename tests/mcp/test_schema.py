"""Tool schemas rewritten for each provider, on the schemas real servers produce: pydantic's
(``$defs``, ``$ref``, nullable ``anyOf``), zod's (``type`` lists) and hand-written ones (an
``array`` with no ``items``). The rewritten schema is only shown; arguments are checked against
the original."""

from __future__ import annotations

import copy
import json

from pydantic import BaseModel

from kodo.mcp.schema import argument_problem, for_provider


class Author(BaseModel):
    name: str
    email: str | None = None


class Node(BaseModel):
    label: str
    children: list[Node] = []


class Arguments(BaseModel):
    title: str
    author: Author
    reviewers: list[Author] = []
    tree: Node | None = None


SCHEMA = Arguments.model_json_schema()


def refs(schema: object) -> list[str]:
    text = json.dumps(schema)
    return [word for word in ("$ref", "$defs", "anyOf") if word in text]


def test_chat_servers_get_references_inlined_and_nullable_types_plain() -> None:
    shown = for_provider(SCHEMA, "openai-chat")
    assert refs(shown) == []
    author = shown["properties"]["author"]
    assert author["type"] == "object" and author["required"] == ["name"]
    assert author["properties"]["email"]["type"] == "string"
    assert shown["properties"]["reviewers"]["items"]["properties"]["name"]["type"] == "string"
    # A recursive model ends in an open object instead of going on for ever.
    tree = shown["properties"]["tree"]
    assert tree["properties"]["children"]["items"] == {"type": "object"}


def test_openai_and_anthropic_keep_the_schema_but_get_items_on_bare_arrays() -> None:
    bare = {
        "type": "object",
        "properties": {"tags": {"type": "array"}, "x": {"type": ["array", "null"]}},
    }
    for provider in ("openai", "anthropic"):
        assert for_provider(SCHEMA, provider) == SCHEMA
        shown = for_provider(bare, provider)
        assert shown["properties"]["tags"] == {"type": "array", "items": {}}
        assert shown["properties"]["x"]["items"] == {}
    assert for_provider(bare, "ollama")["properties"]["x"] == {"type": "array", "items": {}}


def test_type_lists_lose_null_and_a_root_that_is_no_object_becomes_one() -> None:
    zod = {
        "type": "object",
        "properties": {"n": {"type": ["integer", "null"]}, "m": {"type": ["integer", "string"]}},
    }
    shown = for_provider(zod, "local")
    assert shown["properties"]["n"] == {"type": "integer"}
    assert shown["properties"]["m"] == {"type": ["integer", "string"]}
    assert for_provider({"type": "string"}, "openai") == {"type": "object", "properties": {}}


def test_the_original_is_untouched_and_used_to_check_arguments() -> None:
    before = copy.deepcopy(SCHEMA)
    for provider in ("openai", "openai-chat", "ollama", "local", "anthropic"):
        for_provider(SCHEMA, provider)
    assert before == SCHEMA
    fine = {"title": "t", "author": {"name": "a", "email": None}, "tree": None}
    assert argument_problem(SCHEMA, fine) is None
    problem = argument_problem(SCHEMA, {"author": {"email": 3}})
    assert problem is not None
    assert "'title' is a required property" in problem
    assert "author: 'name' is a required property" in problem


def test_a_schema_kodo_cannot_use_checks_nothing() -> None:
    assert argument_problem({"type": "no-such-type"}, {"a": 1}) is None
    unresolvable = {"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}}
    assert argument_problem(unresolvable, {"a": 1}) is None
