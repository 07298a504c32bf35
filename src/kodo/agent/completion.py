"""Whether a reply without tool calls finishes the task, or is a weak model stopping early; and
what a task has seen so far (edits, passing checks, repeated calls) to judge that by.

Small models often end a task with an empty reply, one word, code shown instead of written, or
the task restated; accepting that ends the session "completed" with nothing done. Such replies
get a short nudge instead (``Config.max_nudges`` per task). Capable models answer questions in a
few words on purpose, so outside the compact profile only an empty reply is nudged."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from kodo.events import CommandDetail, EditDetail
from kodo.models.base import ToolCallRequest
from kodo.tools.base import ToolOutput

_WORD = re.compile(r"[a-z0-9_]+")
_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)
_DONE = re.compile(
    r"\b(done|complete[d]?|finished|created|fixed|implemented|pass(es|ed|ing)?|works|working|"
    r"succe(ss|eded|ssfully)|wrote|written|added|updated|saved|printed|verified|resolved)\b",
    re.IGNORECASE,
)
_FAILED = re.compile(
    r"\b(cannot|can't|could not|couldn't|unable|failed|fails|not possible|impossible|"
    r"did not|didn't|not (yet )?(done|finished|complete))\b",
    re.IGNORECASE,
)
_INTENT = re.compile(
    r"\b(i will|i'll|let me|let's|let us|i am going to|i'm going to|next,? i)\b", re.IGNORECASE
)
_DELEGATED = re.compile(r"\byou (need|should|must|can|have|will need|may need) to\b", re.I)
_CALL_SHAPED = re.compile(
    r"<tool_call>|\"name\"\s*:\s*\"[\w.-]+\"\s*,\s*\"(arguments|parameters)\"\s*:"
)
MIN_WORDS = 4
RESTATED = 0.7  # share of the reply's words taken from the task


@dataclass(frozen=True)
class Verdict:
    finished: bool
    nudge: str = ""


def claims_success(text: str) -> bool:
    return bool(_DONE.search(text)) and not _FAILED.search(text)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def assess(
    text: str, task: str, *, acted: bool, verified: bool, tools: list[str], strict: bool
) -> Verdict:
    """``acted``: a tool has run since the task was given; ``verified``: code ran successfully
    after the last file change, so a terse "Done." is believable; ``strict``: a small model,
    checked for every kind of premature stop."""
    if _CALL_SHAPED.search(text):
        plain = " For a command, a ```bash fenced block works too." if "bash" in tools else ""
        return Verdict(
            False,
            "Your tool call could not be read: its JSON is not valid (a double quote inside a "
            f'string must be written \\"). Send the call again.{plain}',
        )
    if verified and claims_success(text):
        return Verdict(True)
    calling = f"call a tool ({', '.join(tools)})" if tools else "continue"
    words = _words(text)
    if not strict and words:
        return Verdict(True)
    if len(words) < MIN_WORDS:
        return Verdict(
            False,
            f"Your reply has no tool call. If the task is not finished, {calling} now. If it is "
            "finished, say in one sentence what you did and how you checked it.",
        )
    if acted and claims_success(text):
        return Verdict(
            False,
            "You say it is done, but nothing has shown that it works yet: run the code or its "
            "tests now and read the result. If it passes, say so in one sentence.",
        )
    if not acted and _FENCE.search(text):
        return Verdict(
            False,
            "You only showed code: nothing was written or run. Do the task with the tools: "
            "write the file(s), run them, and check the result.",
        )
    if _INTENT.search(text) and not claims_success(text):
        return Verdict(
            False,
            f"You said what you would do next but called no tool. Do it now: {calling}.",
        )
    if _DELEGATED.search(text):
        return Verdict(
            False,
            f"Do not tell the user what to do: you have the tools, so do it yourself now: "
            f"{calling}.",
        )
    task_words = set(_words(task))
    if not _DONE.search(text) and sum(w in task_words for w in words) >= RESTATED * len(words):
        return Verdict(
            False,
            f"That restates the task. Do it now: {calling}, one step at a time, and check the "
            "result.",
        )
    return Verdict(True)


REPEATED_FAILURE = (
    "\nnote: this exact call already failed the same way before. Repeating it will not help: "
    "read the error, then change the command or the code, or try another approach."
)
REPEATED_SUCCESS = (
    "\nnote: this exact call already ran before with the same result. Do the next step, or "
    "if the task is done, say so in one sentence."
)
STUCK_TURNS = 3  # turns in a row made only of repeated calls before the run is stopped
STUCK_NUDGE = (
    "You sent exactly the same calls as before and got exactly the same results, so doing it "
    "again cannot help. Read the output above and do something different: look at the files "
    "involved, change the code or the command, or try another approach."
)
# A test run that ran nothing is no check: Python 3.11's unittest exits 0 after "Ran 0 tests".
_NO_TESTS = re.compile(r"\bRan 0 tests\b|\bcollected 0 items\b|\bno tests ran\b")
_TIMING = re.compile(r"^wall time: .*$", re.MULTILINE)


@dataclass
class TaskProgress:
    """What one ``run`` has seen, for nudges, repeat warnings and the final status."""

    acted: bool = False  # a tool ran
    verified: bool = False  # code ran successfully after the last file change
    nudges: int = 0
    stuck: int = 0  # turns in a row in which every call repeated an earlier one exactly
    outputs: dict[str, str] = field(default_factory=dict)  # call key -> its last output

    def record(self, result: ToolOutput) -> None:
        self.acted = True
        detail = result.detail
        if isinstance(detail, EditDetail):
            self.verified = False
        elif result.ok and isinstance(detail, CommandDetail) and detail.runs_code:
            self.verified = not _NO_TESTS.search(result.output)

    def repeat_note(self, call: ToolCallRequest, result: ToolOutput) -> str:
        """A note for an identical call that gave the same output before, else ""."""
        try:
            args = json.dumps(json.loads(call.arguments or "{}"), sort_keys=True)
        except json.JSONDecodeError:
            args = call.arguments
        key = f"{call.name}\0{args}"
        output = _TIMING.sub("", result.output)
        seen = self.outputs.get(key) == output
        self.outputs[key] = output
        if not seen:
            return ""
        return REPEATED_SUCCESS if result.ok else REPEATED_FAILURE
