"""Tool calls that a model wrote as text in its reply instead of as native ``tool_calls``.

Small local models (Qwen2.5-Coder-1.5B behind llama.cpp, say) often answer a tool-calling request
with the call in the text: a fenced ```json block, a Hermes/Qwen ``<tool_call>`` tag, Mistral's
``[TOOL_CALLS]``, Llama's ``<|python_tag|>``, functionary's ``<function=NAME>``, Qwen3-Coder's
``<parameter=...>`` XML, a Codex patch, or a whole file under a ``FILE: path`` line.
``parse_text_calls`` finds them so the agent can run them as if they had come natively.

The input is whatever a model wrote, so the parser never raises and its work is bounded: the text
is capped, the scans are linear, and the lenient JSON repair has a budget.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

RESULT_TAG = "<tool_response>"  # opens a tool's result in the text protocol (Hermes/Qwen)
MAX_TEXT = 200_000  # characters of a reply that are looked at
MAX_STARTS = 200  # JSON starts tried per reply
MAX_REPAIR = 300_000  # characters the lenient JSON repair may walk per reply

NAME_KEYS = ("name", "tool", "tool_name", "function")
ARG_KEYS = ("arguments", "parameters", "args", "input")
_NAME = re.compile(r"[A-Za-z_][\w.\-]{0,63}")
_DECODER = json.JSONDecoder(strict=False)  # strict=False: raw newlines/tabs inside strings

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_FILE = re.compile(r"[ \t]*(?:#+[ \t]*)?[*_`]*[ \t]*file[ \t]*:[*_` \t]*([^\s*`]+)[*_`\s]*", re.I)
# Aider's "whole" form: the file's path alone on the line before the fence.
_BARE_PATH = re.compile(r"[ \t]*[*_`]*([\w./-]+\.[A-Za-z0-9]{1,8})[*_`]*:?[ \t]*")
# A path in a comment on the block's first line: ``# average.py``, ``// app.js``.
_PATH_COMMENT = re.compile(r"[ \t]*(?:#|//|--)[ \t]*([\w./-]+\.[A-Za-z0-9]{1,8})[ \t]*")
_BEGIN_PATCH = re.compile(r"^[ \t]*\*\*\* Begin Patch[ \t]*$", re.M)
_END_PATCH = re.compile(r"^[ \t]*\*\*\* End Patch[ \t]*$", re.M)
_SHELL_INFO = frozenset({"bash", "sh", "shell", "console", "shell-session"})
_FENCE_LINE = re.compile(r"^(?:```|~~~)", re.M)
_XML_FUNCTION = re.compile(r"<function=([\w.\-]+)>")
_XML_END = re.compile(r"</function>|</tool_call>")
# Where a truncated JSON value must end at the latest: a fence line, a call tag, a special token.
_STOP = re.compile(
    r"^ {0,3}(?:```|~~~)|</?(?:tool_call|tools?|function_?call|function|response|json|xml)\b"
    r"[^>\n]{0,100}>|\[TOOL_CALLS\]|<\|[a-z_]+\|>",
    re.I | re.M,
)
_START = re.compile(r"\{\s*[\"']|\[\s*\{")
# What comes right before a JSON value: a name (the value is then only the arguments) or a tag.
_PREFIX = re.compile(
    r"(?:<function=(?P<fn>[\w.\-]+)>|<function\s+name=[\"'](?P<fn2>[\w.\-]+)[\"']\s*>"
    r"|\[TOOL_CALLS\][ \t]*(?P<mn>[A-Za-z_][\w.\-]*)(?:\[ARGS\])?"
    r"|(?P<tag><tool_call>|<tools?>|<function_?call>|\[TOOL_CALLS\]|<\|python_tag\|>"
    r"|(?:```|~~~)tool(?:_?call)?))\s*$",
    re.I,
)
_TOKEN = re.compile(
    r""""[^"\\]*(?:\\.[^"\\]*)*"|'[^'\\]*(?:\\.[^'\\]*)*'|[{}\[\]]|["']|[^"'{}\[\]]+""", re.S
)
_ESCAPE = re.compile(r'\\(.)|"', re.S)
_PY_LITERALS = {"True": "true", "False": "false", "None": "null"}
_PY_LITERAL = re.compile(r"\b(?:True|False|None)\b")
# What may wrap a call and be left empty once it is taken out (see ``_widened``).
_WRAPPER_TAGS = r"(tool_call|tools?|function_?call|function|response|json|xml)"
_OPENER_BEFORE = re.compile(rf"<{_WRAPPER_TAGS}\b[^>\n]{{0,100}}>\s*\Z", re.I)
_FENCE_BEFORE = re.compile(r"(?m)^ {0,3}(`{3,}|~{3,})[^\n`]*\n\s*\Z")
_OWN_OPENER = re.compile(rf"<{_WRAPPER_TAGS}\b| {{0,3}}(`{{3,}}|~{{3,}})", re.I)


@dataclass(frozen=True)
class TextCall:
    name: str
    arguments: str  # a JSON object as text (always valid JSON, re-serialised with json.dumps)


@dataclass
class ParsedReply:
    calls: list[TextCall]  # in the order they appear in the text
    unknown: list[str]  # names that looked like tool calls but are not offered tools
    prose: str = field(default="", compare=False)  # the text without its calls, for people


def parse_text_calls(text: str, tool_names: Collection[str]) -> ParsedReply:
    """The tool calls written in ``text``; only names in ``tool_names`` count as calls."""
    offered = set(tool_names)
    try:
        return _Parser(text, offered).run()
    except Exception:  # a parser of model output must never take the agent down
        return ParsedReply([], [], text)


class _Parser:
    def __init__(self, text: str, offered: set[str]) -> None:
        self.text = text[:MAX_TEXT]  # blanked where calls were taken, so offsets stay the same
        self.original = text
        self.offered = offered
        self.found: list[tuple[int, int, str, dict[str, Any]]] = []  # start, end, name, args
        self.budget = MAX_REPAIR

    def run(self) -> ParsedReply:
        # Each pass blanks out what it took, so that later passes do not read it again.
        self._file_blocks()
        files = len(self.found)
        self._patches()
        self._xml_functions()
        self._json_values()
        if len(self.found) == files:  # no call but whole files: fenced commands may run
            self._shell_blocks()
        reply = ParsedReply([], [])
        spans = []
        for start, end, name, args in sorted(self.found, key=lambda found: found[0]):
            if name in self.offered:
                reply.calls.append(TextCall(name, json.dumps(args)))
                spans.append((start, end))
            elif name not in reply.unknown:
                reply.unknown.append(name)
        reply.prose = _without(
            self.original,
            [_widened(self.original, *span) for span in _joined(self.original, spans)],
        )
        return reply

    def _add(self, span: tuple[int, int], name: str, args: dict[str, Any]) -> None:
        if name not in self.offered and name.startswith("functions."):
            name = name.removeprefix("functions.")  # OpenAI's namespace, as some models echo it
        self.found.append((*span, name, args))

    def _blank(self, spans: list[tuple[int, int]]) -> None:
        """Blank the (sorted, disjoint) spans out, keeping offsets and line breaks."""
        parts, pos = [], 0
        for start, end in spans:
            parts += [self.text[pos:start], re.sub(r"[^\n]", " ", self.text[start:end])]
            pos = end
        self.text = "".join(parts) + self.text[pos:]

    def _file_blocks(self) -> None:
        """``FILE: path`` then a fenced block: the whole file, for ``write_file``."""
        if "write_file" not in self.offered:
            return
        lines = self.text.split("\n")
        starts = _line_starts(lines)
        spans = []
        for i, j, m in _fenced(lines):
            head = i - 1
            while head >= 0 and not lines[head].strip():
                head -= 1
            header = None
            if head >= 0:
                header = _FILE.fullmatch(lines[head]) or _BARE_PATH.fullmatch(lines[head])
            if header is None and i + 1 < j and m[2].strip().lower() not in _SHELL_INFO:
                header, head = _PATH_COMMENT.fullmatch(lines[i + 1]), i
            if header and j < len(lines):  # unclosed: a truncated file would be written short
                content = "".join(line + "\n" for line in lines[i + 1 : j])
                span = (starts[head], min(starts[j + 1], len(self.text)))
                self._add(span, "write_file", {"path": header[1], "content": content})
                spans.append(span)
        self._blank(spans)

    def _shell_blocks(self) -> None:
        """A fenced ```bash block, run by the compact profile's ``bash`` tool: the form small
        models write most reliably, with no JSON to escape (mini-swe-agent's whole protocol).
        Only where ``bash`` is offered and the reply holds no call but whole files."""
        if "bash" not in self.offered:
            return
        lines = self.text.split("\n")
        starts = _line_starts(lines)
        for i, j, m in _fenced(lines):
            body = [line.removeprefix("$ ") for line in lines[i + 1 : j]]
            if m[2].strip().lower() in _SHELL_INFO and j < len(lines) and any(body):
                span = (starts[i], min(starts[j + 1], len(self.text)))
                self._add(span, "bash", {"command": "\n".join(body).strip()})

    def _patches(self) -> None:
        """A Codex patch, ``*** Begin Patch`` to ``*** End Patch`` (or a fence, or the end)."""
        begins = list(_BEGIN_PATCH.finditer(self.text))
        ends = [m.end() for m in _END_PATCH.finditer(self.text)]
        fences = [m.start() for m in _FENCE_LINE.finditer(self.text)]
        done, spans = 0, []
        for k, m in enumerate(begins):
            if m.start() < done:
                continue
            begin = m.start() + len(m[0]) - len(m[0].lstrip())
            following = begins[k + 1].start() if k + 1 < len(begins) else len(self.text)
            done = _after(ends, m.end()) or following + 1
            if done <= following:
                patch = self.text[begin:done]
            else:  # End missing: the model stopped early or forgot it; the tool needs it
                done = min(_after(fences, m.end()) or following, following)
                patch = self.text[begin:done].rstrip() + "\n*** End Patch"
            if "apply_patch" in self.offered:
                self._add((m.start(), done), "apply_patch", {"patch": patch})
            spans.append((m.start(), done))
        self._blank(spans)

    def _xml_functions(self) -> None:
        """Qwen3-Coder: ``<function=NAME><parameter=KEY>VALUE</parameter>...</function>``."""
        text = self.text
        ends = [(m.start(), m.end()) for m in _XML_END.finditer(text)]
        done, spans = 0, []
        for m in _XML_FUNCTION.finditer(text):
            if m.start() < done:
                continue
            k = bisect.bisect_left(ends, (m.end(), 0))
            stop, done = ends[k] if k < len(ends) else (len(text), len(text))
            if text[stop : stop + 3] == "</t":  # </tool_call>: leave the tag itself
                done = stop
            body = text[m.end() : stop]
            if body.strip() and not body.lstrip().startswith("<parameter="):
                done = 0  # JSON arguments (functionary): the JSON pass reads them
                continue
            self._add((m.start(), done), m[1], _xml_parameters(body))
            spans.append((m.start(), done))
        self._blank(spans)

    def _json_values(self) -> None:
        """JSON objects and lists anywhere in the text: fenced, tagged, or bare in prose."""
        text = self.text
        stops = [m.start() for m in _STOP.finditer(text)]
        pos = 0
        for _ in range(MAX_STARTS):
            start = _START.search(text, pos)
            if not start:
                return
            i = start.start()
            loaded = self._load(text, i, _after(stops, i) or len(text))
            if loaded is None:
                pos = i + 1
                continue
            value, pos = loaded
            prefix = _PREFIX.search(text, max(0, i - 120), i)
            name = prefix and (prefix["fn"] or prefix["fn2"] or prefix["mn"])
            span = (prefix.start() if prefix else i, pos)
            if name:  # the value is only the arguments; the name came before it
                self._add(span, name, value if isinstance(value, dict) else {})
                continue
            for name, args in _calls_in(value, tagged=bool(prefix and prefix["tag"])):
                self._add(span, name, args)

    def _load(self, text: str, i: int, limit: int) -> tuple[Any, int] | None:
        try:
            return _DECODER.raw_decode(text, i)
        except (ValueError, RecursionError):
            pass
        if self.budget <= 0:
            return None
        repaired, end = _repair(text, i, limit)
        self.budget -= end - i
        value = None if repaired is None else _decode(repaired, text[i:end])
        return None if value is None else (value, end)


def _calls_in(value: Any, tagged: bool) -> list[tuple[str, dict[str, Any]]]:
    """The (name, arguments) of the call-shaped objects in a parsed JSON value."""
    items = value if isinstance(value, list) else [value]
    if isinstance(value, dict) and isinstance(value.get("tool_calls"), list):
        items, tagged = value["tool_calls"], True
    calls = []
    for obj in items:
        if not isinstance(obj, dict):
            continue
        if isinstance(obj.get("function"), dict):  # OpenAI: {"type": "function", "function": {}}
            obj = {**obj, **obj["function"]}
        name = next((obj[k] for k in NAME_KEYS if isinstance(obj.get(k), str)), None)
        key = next((k for k in ARG_KEYS if k in obj), None)
        if name is None or not _NAME.fullmatch(name) or not (key or tagged):
            continue
        args = _as_object(obj[key]) if key else {}
        if args.get("type") == "object" and "properties" in args:
            continue  # a tool's definition (its parameters schema), not a call
        calls.append((name, args))
    return calls


def _as_object(value: Any) -> dict[str, Any]:
    """Arguments as an object: given as one, or as a JSON string holding one; else empty."""
    if isinstance(value, str) and value.strip()[:1] == "{":
        repaired, _ = _repair(value, value.index("{"), len(value))
        value = None if repaired is None else _decode(repaired, value)
    return value if isinstance(value, dict) else {}


def _repair(text: str, start: int, limit: int) -> tuple[str | None, int]:
    """The JSON-ish value at ``start`` as JSON text, and where it ended: single quotes, ``\\'``,
    Python literals, trailing commas and brackets left open by a truncated reply are mended.
    An unterminated string is not, as its content would be cut short: None then."""
    out: list[str] = []
    closers: list[str] = []
    end = limit
    for tok in _TOKEN.finditer(text, start, limit):
        t = tok[0]
        if t in ("{", "["):
            closers.append("}" if t == "{" else "]")
            out.append(t)
        elif t in ("}", "]"):
            if t != closers[-1]:
                end = tok.start()
                break
            _drop_comma(out)
            out.append(closers.pop())
            if not closers:
                return "".join(out), tok.end()
        elif len(t) > 1 and t[0] in "\"'":
            out.append('"' + _ESCAPE.sub(_escape, t[1:-1]) + '"')
        elif t in ('"', "'"):
            return None, tok.end()
        else:
            out.append(_PY_LITERAL.sub(lambda m: _PY_LITERALS[m[0]], t))
    _drop_comma(out)
    if out and out[-1].rstrip().endswith(":"):
        out.append("null")
    return "".join(out) + "".join(reversed(closers)), end


def _escape(m: re.Match[str]) -> str:
    char = m[1]
    if char is None:
        return '\\"'  # a double quote inside a single-quoted string
    if char == "'":
        return "'"
    return "\\" + char if char in '"\\/bfnrtu' else "\\\\" + char  # e.g. a regex's \d


def _drop_comma(out: list[str]) -> None:
    while out and not out[-1].strip():
        out.pop()
    if out and out[-1].rstrip().endswith(","):
        out[-1] = out[-1].rstrip()[:-1]


def _decode(repaired: str, raw: str) -> Any:
    """The repaired JSON, or failing that the raw text as a Python literal (``{1: 'a'}``)."""
    try:
        return json.loads(repaired, strict=False)
    except (ValueError, RecursionError):
        pass
    try:
        value = ast.literal_eval(raw.strip())
        json.dumps(value)  # sets, bytes, ... cannot become arguments
        return value
    except Exception:
        return None


def _xml_parameters(body: str) -> dict[str, Any]:
    """``<parameter=KEY>\\nVALUE\\n</parameter>`` pairs; a missing close ends at the next one."""
    args: dict[str, Any] = {}
    pos = close = 0
    while (k := body.find("<parameter=", pos)) != -1:
        gt = body.find(">", k, k + 111)
        if gt == -1:
            break
        if close != -1 and close < gt:
            close = body.find("</parameter>", gt)
        following = body.find("<parameter=", gt)
        stop = min(p for p in (close, following, len(body)) if p != -1)
        value = body[gt + 1 : stop].removeprefix("\n").removesuffix("\n")
        args[body[k + 11 : gt].strip()] = _xml_value(value)
        pos = stop
    return args


def _xml_value(value: str) -> Any:
    """Values are strings, except a JSON object or list (no schema here to type the rest)."""
    if value.strip()[:1] in ("{", "["):
        try:
            parsed = json.loads(value, strict=False)
        except ValueError:
            return value
        if isinstance(parsed, dict | list):
            return parsed
    return value


def _line_starts(lines: list[str]) -> list[int]:
    """The offset of each line in the text, and one past the end."""
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    return starts


def _fenced(lines: list[str]) -> Iterator[tuple[int, int, re.Match[str]]]:
    """Each fenced block: its opening line, its closing line (``len(lines)`` when it is never
    closed) and the opening fence's match (fence, info string)."""
    i = 0
    while i < len(lines):
        m = _FENCE.fullmatch(lines[i])
        if not m or (m[1][0] == "`" and "`" in m[2]):
            i += 1
            continue
        j = i + 1  # a closing fence: the same character, at least as many
        while j < len(lines) and not _closes(lines[j], m[1]):
            j += 1
        yield i, j, m
        i = j + 1


def _closes(line: str, fence: str) -> bool:
    s = line.strip()
    return len(s) >= len(fence) and set(s) == {fence[0]}


def _after(positions: list[int], pos: int) -> int | None:
    """The first of the sorted ``positions`` at or after ``pos``."""
    k = bisect.bisect_left(positions, pos)
    return positions[k] if k < len(positions) else None


def _widened(text: str, start: int, end: int) -> tuple[int, int]:
    """A call's span grown over what wraps only it: the closing tag or fence of the one it
    starts with, or the tags or fence around it."""
    while True:
        lookback = max(0, start - 200)
        for wrapper, around in (
            (_OWN_OPENER.match(text, start), False),
            (_OPENER_BEFORE.search(text, lookback, start), True),
            (_FENCE_BEFORE.search(text, lookback, start), True),
        ):
            opener = wrapper and next(group for group in wrapper.groups() if group)
            closing = opener and _closing(opener).match(text, end)
            if wrapper and closing:
                start, end = (wrapper.start() if around else start), closing.end()
                break
        else:
            return start, end


def _closing(opener: str) -> re.Pattern[str]:
    """What closes a wrapper that opened with ``opener``: a tag's name, or a fence."""
    if opener[0] in "`~":
        return re.compile(rf"[ \t]*\n {{0,3}}{opener}[ \t]*(?=\n|$)")
    return re.compile(rf"\s*</{opener}>", re.I)


def _joined(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sorted spans, those with only blank space between them made one."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and not text[joined[-1][1] : start].strip():
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the (sorted, disjoint) spans taken out: what stood on either side of a
    block ends up a paragraph apart, of a call inside a line a space apart; the rest is kept
    as it was."""
    out, pos = "", 0
    for start, end in spans:
        out += text[pos:start].strip()
        if out:
            out += "\n\n" if "\n" in text[start:end] else " "
        pos = end
    return (out + text[pos:].lstrip()).strip()
