"""Each tool describes its own calls in one line (``describe``), through the registry, so no
renderer needs to know any tool's arguments; a call no tool can describe still gets a title."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import pytest

from kodo.skills.tool import LoadSkillTool
from kodo.tools.base import ToolContext, ToolOutput
from kodo.tools.builtin import file_tools
from kodo.tools.diagnose import DiagnoseTool
from kodo.tools.job import JobTool
from kodo.tools.process import ProcessTool
from kodo.tools.registry import ToolRegistry
from kodo.tools.write_file import WriteFileTool


@dataclass(kw_only=True)
class NoArgs:
    pass


class Clumsy:
    """A tool whose describe has a bug."""

    name: ClassVar[str] = "clumsy"
    description: ClassVar[str] = "Describes itself badly."
    Args: ClassVar[type] = NoArgs

    def describe(self, args: NoArgs) -> str:
        raise RuntimeError("oops")

    def run(self, args: NoArgs, ctx: ToolContext) -> ToolOutput:
        return ToolOutput("ran")


@pytest.fixture
def registry() -> ToolRegistry:
    tools = [*file_tools(), WriteFileTool(), JobTool(), ProcessTool(), DiagnoseTool()]
    return ToolRegistry([*tools, LoadSkillTool([]), Clumsy()])


@pytest.mark.parametrize(
    ("name", "arguments", "title"),
    [
        ("read_file", {"path": "src/app.py"}, "read_file src/app.py"),
        ("list_dir", {}, "list_dir ."),
        ("search", {"pattern": "def main", "path": "src"}, "search 'def main' in src"),
        ("write_file", {"path": "a.py", "content": "x"}, "write_file a.py"),
        ("update_plan", {"plan": [{"step": "a", "status": "pending"}]}, ""),
        (
            "job",
            {"action": "submit", "target": "train.sh", "cluster": "lab"},
            "job submit train.sh on lab",
        ),
        ("job", {"action": "wait", "job_id": "42"}, "job wait 42"),
        ("process", {"action": "stop", "id": "p1"}, "process stop p1"),
        ("process", {"action": "list"}, "process list"),
        ("diagnose", {"paths": ["logs", "rank0.log"]}, "diagnose logs rank0.log"),
        ("load_skill", {"name": "pytorch-training"}, "load_skill pytorch-training"),
    ],
)
def test_each_tool_titles_its_calls(registry: ToolRegistry, name, arguments, title) -> None:
    described = registry.prepare(name, json.dumps(arguments))
    assert described.title == title and not described.streams


def test_a_call_no_tool_can_describe_still_has_a_title(registry: ToolRegistry) -> None:
    def title(name: str, arguments: str) -> str:
        return registry.prepare(name, arguments).title

    assert title("read_file", '{"path": ') == "read_file (malformed arguments)"
    assert title("read_file", '{"offset": 0}') == 'read_file {"offset": 0}'  # invalid
    assert title("read_file", "[1]") == "read_file [1]"
    assert title("teleport", '{"to": "mars"}') == 'teleport {"to": "mars"}'
    assert title("clumsy", "{}") == "clumsy {}"
    assert title("teleport", json.dumps({"x": "y" * 200})) == 'teleport {"x": "' + "y" * 73
