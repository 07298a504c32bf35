"""Typed records on plain dataclasses: read from untrusted data (config files, the model's tool
arguments, event logs) with every problem named by where it is, turned back into JSON-ready
dicts, and described as JSON Schema for the model.

Pydantic does all of this, but importing it and building its models costs about 200 ms at every
start, more than the rest of kodo's start together; these records cost microseconds. Reading is
lax the way a model needs: ``"3"`` is read as an int and ``"true"`` as a bool, as pydantic does.

A field's limits and description live in its metadata (``spec(...)``); a class sets
``EXTRA = "forbid"`` to refuse unknown keys, or ``"keep"`` to keep them in its ``extra``
attribute (``"ignore"``, the default, drops them). A union of records that each have a Literal
``kind`` field is read as the record its ``kind`` names (a tool result's ``detail``).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, TypeVar, Union

T = TypeVar("T")
Loc = tuple[str | int, ...]
_TRUE = {"true", "yes", "on", "1", "t", "y"}
_FALSE = {"false", "no", "off", "0", "f", "n"}


@dataclasses.dataclass(frozen=True)
class Problem:
    loc: Loc
    message: str
    kind: Literal["missing", "extra", "type", "value"] = "type"

    @property
    def where(self) -> str:
        return ".".join(str(part) for part in self.loc) or "(arguments)"


class RecordError(ValueError):
    """Everything wrong with one input, each problem at its place."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.where}: {p.message}" for p in problems))


def spec(
    default: Any = dataclasses.MISSING,
    *,
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
    description: str | None = None,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
) -> Any:
    """A field with the limits a value read into it must keep and the text the model sees."""
    meta = {
        key: value
        for key, value in (
            ("description", description),
            ("ge", ge),
            ("gt", gt),
            ("le", le),
            ("min_length", min_length),
        )
        if value is not None
    }
    return dataclasses.field(default=default, default_factory=default_factory, metadata=meta)


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    hint: Any
    meta: typing.Mapping[str, Any]
    required: bool
    default: Any  # dataclasses.MISSING when there is none, or it comes from a factory


_FIELDS: dict[type, list[_Field]] = {}


def fields_of(cls: type) -> list[_Field]:
    """The init fields of a record class with their resolved types, worked out once."""
    known = _FIELDS.get(cls)
    if known is None:
        hints = typing.get_type_hints(cls)
        known = [
            _Field(
                f.name,
                hints[f.name],
                f.metadata,
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                f.default,
            )
            for f in dataclasses.fields(cls)
            if f.init
        ]
        _FIELDS[cls] = known
    return known


def read(cls: type[T], data: Any, loc: Loc = ()) -> T:
    """``data`` as a ``cls``, or ``RecordError`` naming every problem."""
    problems: list[Problem] = []
    value = _record(cls, data, loc, problems)
    if problems:
        raise RecordError(problems)
    return typing.cast(T, value)


def _record(cls: type, data: Any, loc: Loc, problems: list[Problem]) -> Any:
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        problems.append(Problem(loc, "Input should be a valid dictionary or object"))
        return None
    fields = fields_of(cls)
    values: dict[str, Any] = {}
    before = len(problems)
    for f in fields:
        if f.name not in data:
            if f.required:
                problems.append(Problem((*loc, f.name), "Field required", "missing"))
            continue
        values[f.name] = _value(f.hint, data[f.name], (*loc, f.name), problems, f.meta)
    known = {f.name for f in fields}
    extra = {key: value for key, value in data.items() if key not in known}
    policy = getattr(cls, "EXTRA", "ignore")
    if extra and policy == "forbid":
        for key in extra:
            problems.append(Problem((*loc, key), "Extra inputs are not permitted", "extra"))
    if len(problems) > before:
        return None
    record = cls(**values)
    if policy == "keep":
        object.__setattr__(record, "extra", extra)
    return record


def _value(hint: Any, value: Any, loc: Loc, problems: list[Problem], meta: Any = None) -> Any:
    before = len(problems)
    out = _typed(hint, value, loc, problems)
    if meta and len(problems) == before:
        _check_limits(out, meta, loc, problems)
    return out


def _typed(hint: Any, value: Any, loc: Loc, problems: list[Problem]) -> Any:
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if origin is Union or origin is types.UnionType:
        return _union(typing.get_args(hint), value, loc, problems)
    if origin is Literal:
        choices = typing.get_args(hint)
        if value in choices and not isinstance(value, bool):
            return value
        said = " or ".join(repr(c) for c in choices)
        problems.append(Problem(loc, f"Input should be {said}", "value"))
        return None
    if origin is list:
        if not isinstance(value, list | tuple):
            problems.append(Problem(loc, "Input should be a valid list"))
            return None
        (item,) = typing.get_args(hint) or (Any,)
        return [_typed(item, v, (*loc, i), problems) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(Problem(loc, "Input should be a valid dictionary"))
            return None
        _, item = typing.get_args(hint) or (str, Any)
        return {str(k): _typed(item, v, (*loc, str(k)), problems) for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _record(hint, value, loc, problems)
    scalar = _SCALARS.get(hint)
    if scalar is None:
        raise TypeError(f"records cannot read {hint!r}")
    return scalar(value, loc, problems)


def _union(arms: tuple[Any, ...], value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if value is None and type(None) in arms:
        return None
    real = [arm for arm in arms if arm is not type(None)]
    tagged = _tagged(real, value)
    if tagged is not None:  # its problems are named at their place, not merged with the rest
        return _typed(tagged, value, loc, problems)
    # the exact type first, so ``list[str] | str`` keeps a string a string
    real.sort(key=lambda arm: 0 if isinstance(arm, type) and isinstance(value, arm) else 1)
    tried: list[Problem] = []
    for arm in real:
        attempt: list[Problem] = []
        out = _typed(arm, value, loc, attempt)
        if not attempt:
            return out
        tried.extend(attempt)
    if len(real) == 1:
        problems.extend(tried)
    else:
        problems.append(Problem(loc, "; or ".join(dict.fromkeys(p.message for p in tried))))
    return None


def _tagged(arms: list[Any], value: Any) -> Any:
    """Of records told apart by a Literal ``kind`` field, the one ``value`` names; else None."""
    if not isinstance(value, dict) or "kind" not in value:
        return None
    for arm in arms:
        if dataclasses.is_dataclass(arm) and isinstance(arm, type):
            hint = next((f.hint for f in fields_of(arm) if f.name == "kind"), None)
            if typing.get_origin(hint) is Literal and value["kind"] in typing.get_args(hint):
                return arm
    return None


def _str(value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if isinstance(value, str):
        return value
    problems.append(Problem(loc, "Input should be a valid string"))
    return None


def _bool(value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    problems.append(Problem(loc, "Input should be a valid boolean"))
    return None


def _int(value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    problems.append(Problem(loc, "Input should be a valid integer"))
    return None


def _float(value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if math.isfinite(value):
            return float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    problems.append(Problem(loc, "Input should be a valid number"))
    return None


def _none(value: Any, loc: Loc, problems: list[Problem]) -> Any:
    if value is not None:
        problems.append(Problem(loc, "Input should be None"))
    return None


_SCALARS: dict[Any, Callable[[Any, Loc, list[Problem]], Any]] = {
    str: _str,
    bool: _bool,
    int: _int,
    float: _float,
    type(None): _none,
}


def _check_limits(
    value: Any, meta: typing.Mapping[str, Any], loc: Loc, problems: list[Problem]
) -> None:
    if value is None:
        return
    for key, word in (("ge", "greater than or equal to"), ("gt", "greater than")):
        if key in meta and not (value >= meta[key] if key == "ge" else value > meta[key]):
            problems.append(Problem(loc, f"Input should be {word} {meta[key]}", "value"))
    if "le" in meta and value > meta["le"]:
        problems.append(
            Problem(loc, f"Input should be less than or equal to {meta['le']}", "value")
        )
    if "min_length" in meta and len(value) < meta["min_length"]:
        least = meta["min_length"]
        problems.append(
            Problem(loc, f"Should have at least {least} item{'s' * (least != 1)}", "value")
        )


def to_plain(value: Any) -> Any:
    """A record (and what it holds) as JSON-ready dicts and lists; ``None`` fields are kept."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in fields_of(type(value))}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


_SCHEMA_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def json_schema(cls: type) -> dict[str, Any]:
    """The object schema a model sees for a record: types, limits, defaults and descriptions,
    nested records inlined (every provider reads that; not all follow ``$ref``)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in fields_of(cls):
        prop = _schema_of(f.hint)
        meta = f.meta
        if "description" in meta:
            prop["description"] = meta["description"]
        for key, word in (("ge", "minimum"), ("gt", "exclusiveMinimum"), ("le", "maximum")):
            if key in meta:
                prop[word] = meta[key]
        if "min_length" in meta:
            prop["minItems"] = meta["min_length"]
        if f.required:
            required.append(f.name)
        elif f.default is not dataclasses.MISSING and f.default is not None:
            prop["default"] = f.default
        properties[f.name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _schema_of(hint: Any) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        arms = [_schema_of(a) for a in typing.get_args(hint) if a is not type(None)]
        return arms[0] if len(arms) == 1 else {"anyOf": arms}
    if origin is Literal:
        choices = list(typing.get_args(hint))
        return {"type": _SCHEMA_TYPES[type(choices[0])], "enum": choices}
    if origin is list:
        (item,) = typing.get_args(hint)
        return {"type": "array", "items": _schema_of(item)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema_of(typing.get_args(hint)[1])}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return json_schema(hint)
    if hint is Any:
        return {}
    return {"type": _SCHEMA_TYPES[hint]}
