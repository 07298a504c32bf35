"""Building blocks for the showcase sessions: what the scripted model writes, and turns that
read the previous tool output before deciding what to send, so that every fix in a showcase is
made from the error the model actually saw."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.script import Call, Reply

SHOWCASE = Path(__file__).parent
PY = sys.executable

Check = Callable[[str], str | None]  # tool output -> what is wrong with it, or None


def source(relative: str) -> str:
    """A file the scripted model writes, as stored under tests/e2e/showcase/."""
    return (SHOWCASE / relative).read_text()


def patch_add(files: dict[str, str]) -> str:
    """One patch adding every file of ``{workspace path: text}``."""
    parts = ["*** Begin Patch\n"]
    for path, text in files.items():
        parts.append(f"*** Add File: {path}\n")
        parts.extend(f"+{line}\n" for line in text.splitlines())
    parts.append("*** End Patch\n")
    return "".join(parts)


def plan(steps: list[str], done: int) -> Call:
    """An update_plan call: the first ``done`` steps completed, the next one in progress."""
    marks = (["completed"] * done + ["in_progress"] + ["pending"] * len(steps))[: len(steps)]
    steps_ = [{"step": s, "status": m} for s, m in zip(steps, marks, strict=True)]
    return Call("update_plan", {"plan": steps_})


def last_tool_output(request: dict) -> str:
    return next(m["content"] for m in reversed(request["messages"]) if m["role"] == "tool")


def contains(*needles: str) -> Check:
    def check(output: str) -> str | None:
        missing = [n for n in needles if n not in output]
        return f"expected {missing} in the tool output" if missing else None

    return check


def succeeded(output: str) -> str | None:
    return f"the tool failed: {output[:300]}" if output.startswith("error") else None


def final_json(output: str) -> dict:
    """The JSON object on the last non-empty line of a command's output."""
    lines = [line for line in output.splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else {}


def background_id(output: str) -> str:
    found = re.search(r"started in the background as (\S+)", output)
    return found.group(1) if found else "unknown"


@dataclass
class Session:
    """Collects what the model was shown; a failed check ends the session with a message
    instead of sending the next scripted step, and the test reports ``problems``."""

    seen: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def after(self, check: Check, reply: Reply | Callable[[str], Reply]) -> Callable[[dict], Reply]:
        def step(request: dict) -> Reply:
            output = last_tool_output(request)
            self.seen.append(output)
            problem = check(output)
            if problem:
                self.problems.append(f"turn {len(self.seen)}: {problem}\n{output[-3000:]}")
                return Reply(text=f"Stopping: {problem}")
            return reply(output) if callable(reply) else reply

        return step
