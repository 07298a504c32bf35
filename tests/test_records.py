"""Records: reading untrusted data into dataclasses, writing events back, and the schema a
model sees for tool arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import pytest

from kodo.events import AssistantMessage, SessionCompleted, ToolCallRequest, parse_event, to_json
from kodo.records import RecordError, json_schema, read, spec


@dataclass(kw_only=True)
class Inner:
    EXTRA: ClassVar[str] = "forbid"
    name: str
    weight: float = 1.0


@dataclass(kw_only=True)
class Outer:
    count: int = spec(1, ge=1, le=10, description="How many.")
    mode: Literal["fast", "slow"] = "fast"
    flag: bool = False
    words: list[str] | str = spec(description="Words or a line.")
    inner: Inner | None = None
    table: dict[str, Inner] = field(default_factory=dict)
    tags: list[str] = spec(default_factory=list, min_length=1)


def problems(cls: type, data: Any) -> list[tuple[str, str]]:
    with pytest.raises(RecordError) as caught:
        read(cls, data)
    return [(p.where, p.message) for p in caught.value.problems]


def test_lax_reading_of_what_models_send() -> None:
    got = read(Outer, {"count": "3", "flag": "true", "words": "a b", "tags": ["x"]})
    assert (got.count, got.flag, got.words) == (3, True, "a b")
    assert read(Outer, {"count": 4.0, "words": ["a"], "tags": ["x"]}).count == 4
    assert read(Outer, {"words": ["a", "b"], "tags": ["x"]}).words == ["a", "b"]


def test_every_problem_is_named_at_its_place() -> None:
    found = problems(
        Outer,
        {
            "count": 0,
            "mode": "medium",
            "flag": "maybe",
            "inner": {"name": 5, "colour": "red"},
            "table": {"a": {"weight": "heavy"}},
            "tags": [],
        },
    )
    assert found == [
        ("count", "Input should be greater than or equal to 1"),
        ("mode", "Input should be 'fast' or 'slow'"),
        ("flag", "Input should be a valid boolean"),
        ("words", "Field required"),
        ("inner.name", "Input should be a valid string"),
        ("inner.colour", "Extra inputs are not permitted"),
        ("table.a.name", "Field required"),
        ("table.a.weight", "Input should be a valid number"),
        ("tags", "Should have at least 1 item"),
    ]
    assert problems(Outer, ["not", "an", "object"]) == [
        ("(arguments)", "Input should be a valid dictionary or object")
    ]
    assert problems(Outer, {"words": 5, "tags": ["x"]}) == [
        ("words", "Input should be a valid list; or Input should be a valid string")
    ]
    # a bool is not a number, and a number that is not whole is not an int
    assert problems(Outer, {"count": True, "words": "", "tags": ["x"]})[0][0] == "count"
    assert problems(Outer, {"count": 2.5, "words": "", "tags": ["x"]})[0][0] == "count"
    assert problems(Inner, {"name": "n", "weight": float("nan")})[0][0] == "weight"


def test_schema_for_tool_arguments() -> None:
    schema = json_schema(Outer)
    assert schema["required"] == ["words"]
    assert schema["properties"]["count"] == {
        "type": "integer",
        "description": "How many.",
        "minimum": 1,
        "maximum": 10,
        "default": 1,
    }
    assert schema["properties"]["mode"] == {
        "type": "string",
        "enum": ["fast", "slow"],
        "default": "fast",
    }
    assert schema["properties"]["words"]["anyOf"] == [
        {"type": "array", "items": {"type": "string"}},
        {"type": "string"},
    ]
    assert schema["properties"]["inner"]["properties"]["weight"]["type"] == "number"
    assert schema["properties"]["tags"]["minItems"] == 1


def test_events_round_trip_through_a_log_line() -> None:
    message = AssistantMessage(
        text="lone \ud800 surrogate, ünïcode",
        tool_calls=[ToolCallRequest(call_id="c1", name="shell", arguments='{"command": "ls"}')],
    )
    line = to_json(message)
    line.encode()  # writable as UTF-8 although the text holds a lone surrogate
    assert json.loads(line)["type"] == "assistant_message"
    assert parse_event(line) == message
    done = SessionCompleted(status="completed", exit_code=0, done_when="acc >= 0.9")
    assert parse_event(to_json(done)) == done


@pytest.mark.parametrize(
    "line",
    [
        '{"type": "no_such_event", "ts": 1}',
        '{"type": "session_completed", "ts": 1, "status": "finished", "exit_code": 0}',
        '{"type": "assistant_message", "ts": 1, "text": "x", "tool_calls": [{"name": 1}]}',
        "[1, 2]",
        '{"type": "assistant_m',
        "[" * 100_000,
        '{"type": "error", "message": ' + "[" * 100_000,
    ],
)
def test_a_line_that_is_not_a_valid_event_is_refused(line: str) -> None:
    with pytest.raises(ValueError):
        parse_event(line)


@dataclass(kw_only=True)
class Circle:
    kind: Literal["circle"] = "circle"
    radius: float


@dataclass(kw_only=True)
class Square:
    kind: Literal["square"] = "square"
    side: float
    label: str = ""


@dataclass(kw_only=True)
class Drawing:
    shapes: list[Circle | Square]


def test_a_union_of_records_is_read_by_kind() -> None:
    got = read(
        Drawing, {"shapes": [{"kind": "square", "side": 2}, {"kind": "circle", "radius": 1}]}
    )
    assert got.shapes == [Square(side=2.0), Circle(radius=1.0)]
    # the record the kind names is the one whose problems are told, at their place
    assert problems(Drawing, {"shapes": [{"kind": "square", "side": 1, "label": 3}]}) == [
        ("shapes.0.label", "Input should be a valid string")
    ]
    ((where, message),) = problems(Drawing, {"shapes": [{"kind": "hexagon"}]})
    assert where == "shapes.0" and "'circle'" in message and "'square'" in message


def test_the_start_path_does_not_import_pydantic() -> None:
    """Importing pydantic and building its models cost about 200 ms of every start."""
    code = (
        "import sys; import kodo.cli, kodo.exec_command, kodo.agent.session, kodo.agent.loop, "
        "kodo.agent.toolset, kodo.sandbox.bwrap, kodo.models.openai_responses, "
        "kodo.models.anthropic, kodo.ui.render, kodo.session.resume; "
        "assert 'pydantic' not in sys.modules, 'pydantic imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
