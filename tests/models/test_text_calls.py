"""Tool calls written as text. The fixtures follow formats documented or observed in the wild;
each names its source. ``special_function`` / ``{"arg1": 1}`` are llama.cpp's test fixtures."""

from __future__ import annotations

import json
import random

import pytest

from kodo.models.text_calls import ParsedReply, TextCall, parse_text_calls

TOOLS = ["shell", "read_file", "write_file", "apply_patch", "special_function", "python"]
SPECIAL = TextCall("special_function", '{"arg1": 1}')
LLAMA_CPP = "ggml-org/llama.cpp tests/test-chat.cpp"


def parse(text: str, tools: list[str] = TOOLS) -> ParsedReply:
    return parse_text_calls(text, tools)


def calls(text: str, tools: list[str] = TOOLS) -> list[tuple[str, dict]]:
    reply = parse(text, tools)
    return [(call.name, json.loads(call.arguments)) for call in reply.calls]


# --- Qwen2.5-Coder-1.5B behind llama.cpp: fenced ```json with explanation around it. vLLM issue
# #32926 measured Qwen2.5-Coder answering tool requests with ```json blocks 100% of the time.

QWEN_CODER_LS = """To list the files in the current directory, you can use the `ls` command. \
Here's how you can do it:

```json
{
  "name": "shell",
  "arguments": {
    "command": ["ls", "-la"]
  }
}
```

This command will list all files and directories, including hidden ones, in long format."""

QWEN_CODER_TWO = """Sure! First, let's create the directory and then run the tests.

```json
{"name": "shell", "arguments": {"command": ["mkdir", "-p", "src/app"]}}
```

After that, run the test suite:

```json
{"name": "shell", "arguments": {"command": ["python", "-m", "pytest", "-q"]}}
```

Let me know if you need anything else!"""

QWEN_CODER_READ = """I will read the file to understand its contents.
```json
{
    "name": "read_file",
    "arguments": {
        "path": "main.py"
    }
}
```"""


def test_qwen_coder_fenced_json_with_explanation() -> None:
    assert calls(QWEN_CODER_LS) == [("shell", {"command": ["ls", "-la"]})]
    assert parse(QWEN_CODER_LS).unknown == []


def test_qwen_coder_two_fenced_blocks_in_order() -> None:
    assert calls(QWEN_CODER_TWO) == [
        ("shell", {"command": ["mkdir", "-p", "src/app"]}),
        ("shell", {"command": ["python", "-m", "pytest", "-q"]}),
    ]


def test_qwen_coder_read_file() -> None:
    assert calls(QWEN_CODER_READ) == [("read_file", {"path": "main.py"})]


def test_arguments_are_reserialised_json() -> None:
    (call,) = parse(QWEN_CODER_LS).calls
    assert call == TextCall("shell", json.dumps({"command": ["ls", "-la"]}))


def test_bare_json_object_as_the_whole_reply() -> None:
    # ollama/ollama#12174 (qwen2.5-coder:14b: "content: {"name": "calculator", ...}") and
    # mark3labs/mcphost#12 (Qwen2.5-Coder-32B).
    text = '{"name": "filesystem__list_directory", "arguments": {"path": "."}}'
    assert calls(text, ["filesystem__list_directory"]) == [
        ("filesystem__list_directory", {"path": "."})
    ]
    text = 'Sure, let\'s try again.\n\n{"name": "read_file", "arguments": {"path": "config.yaml"}}'
    assert calls(text) == [("read_file", {"path": "config.yaml"})]


# --- Hermes 2 Pro / Qwen2.5: the chat template asks for
# <tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>


def test_hermes_tool_call_tag() -> None:
    text = '<tool_call>\n{"name": "special_function", "arguments": {"arg1": 1}}\n</tool_call>'
    assert parse(text).calls == [SPECIAL]  # LLAMA_CPP, Hermes 2 Pro
    text = "Hello, world!\nWhat's up?" + text
    assert parse(text).calls == [SPECIAL]


def test_hermes_several_tags() -> None:
    text = (  # LLAMA_CPP, "Test multiple tool calls"
        "<tool_call>\n"
        '{"name": "special_function", "arguments": {"arg1": 1}}\n'
        "</tool_call>\n"
        "<tool_call>\n"
        '{"name": "python", "arguments": {"code":"print(\'hello\')"}}\n'
        "</tool_call>"
    )
    assert calls(text) == [
        ("special_function", {"arg1": 1}),
        ("python", {"code": "print('hello')"}),
    ]


@pytest.mark.parametrize(
    "text",
    [  # LLAMA_CPP: the wrappers its Hermes 2 Pro parser accepts, as models produce them
        '<tool>\n  {"name": "special_function", "arguments": {"arg1": 1}}\n</tool>',
        '<tools>\n  {"name": "special_function", "arguments": {"arg1": 1}}\n</tools>',
        '<response>\n  {"name": "special_function", "arguments": {"arg1": 1}}\n</response>',
        '```xml\n<response>\n    {"name": "special_function", "arguments": {"arg1": 1}}\n'
        "</response>\n```",
        '```xml\n  {"name": "special_function", "arguments": {"arg1": 1}}\n```',
        '```\n  {"name": "special_function", "arguments": {"arg1": 1}}\n```',
        '```json\n  {"name": "special_function", "arguments": {"arg1": 1}}\n```',
        '```json\n\n                    <function_call> {"name": "special_function", "arguments":'
        ' {"arg1": 1}} \n                    </function_call> \n``` ',
        '<json>\n  {"name": "special_function", "arguments": {"arg1": 1}}\n</json>',
        '<xml>\n  {\n    "name": "special_function", "arguments": {"arg1": 1}\n  }\n</xml>',
        '<JSON>\n  {"name": "special_function", "arguments": {"arg1": 1}}\n</JSON>',
        '{\n  "name": "special_function", "arguments": {"arg1": 1}}',
        'This is not a tool call:\n{"name": "special_function", "arguments": {"arg1": 1}}',
    ],
)
def test_hermes_variants(text: str) -> None:
    reply = parse(text)
    assert reply == ParsedReply([SPECIAL], [])
    assert reply.prose == ("This is not a tool call:" if text.startswith("This") else "")


def test_tools_tag_with_a_list() -> None:
    # vllm-project/vllm PR #33083: Qwen2.5-Coder's <tools> format, parallel calls as a list.
    text = (
        "<tools>\n"
        '[{"name": "read_file", "arguments": {"path": "a.py"}}, '
        '{"name": "read_file", "arguments": {"path": "b.py"}}]\n'
        "</tools>"
    )
    assert calls(text) == [("read_file", {"path": "a.py"}), ("read_file", {"path": "b.py"})]


# --- Mistral


def test_mistral_tool_calls_list() -> None:
    # Mistral-7B-Instruct-v0.3's chat template renders an assistant call as this.
    text = (
        '[TOOL_CALLS] [{"name": "get_current_temperature", "arguments": {"location": '
        '"Paris, France", "unit": "celsius"}, "id": "abcdef123"}]'
    )
    assert calls(text, ["get_current_temperature"]) == [
        ("get_current_temperature", {"location": "Paris, France", "unit": "celsius"})
    ]


def test_mistral_nemo_without_space() -> None:
    text = '[TOOL_CALLS][{"name": "special_function", "arguments": {"arg1": 1}, "id": "123456789"}]'
    assert parse(text).calls == [SPECIAL]  # LLAMA_CPP, Mistral-Nemo-Instruct-2407


def test_mistral_v11_name_then_arguments() -> None:
    # Tokenizer v11+ (Magistral/Devstral): [TOOL_CALLS]name[ARGS]{...} or [TOOL_CALLS]name{...},
    # as vLLM's MistralToolParser describes it.
    assert calls('[TOOL_CALLS]get_weather[ARGS]{"city": "Tokyo"}', ["get_weather"]) == [
        ("get_weather", {"city": "Tokyo"})
    ]
    text = '[TOOL_CALLS]read_file{"path": "a"}[TOOL_CALLS]read_file{"path": "b"}'
    assert calls(text) == [("read_file", {"path": "a"}), ("read_file", {"path": "b"})]


# --- Llama 3.1 / 3.2: {"name": function name, "parameters": dictionary of argument name and its
# value}, optionally after <|python_tag|> (Llama 3.1 model card; vLLM's llama3_json parser).


def test_llama_python_tag() -> None:
    text = '<|python_tag|>{"name": "special_function", "parameters": {"arg1": 1}}<|eom_id|>'
    assert parse(text).calls == [SPECIAL]


def test_llama_bare_parameters() -> None:
    assert parse('{"name": "special_function", "parameters": {"arg1": 1}}').calls == [SPECIAL]
    text = (  # vLLM's llama3_json: several calls separated by "; "
        '{"name": "read_file", "parameters": {"path": "a"}}; '
        '{"name": "read_file", "parameters": {"path": "b"}}'
    )
    assert calls(text) == [("read_file", {"path": "a"}), ("read_file", {"path": "b"})]


# --- functionary v3.1 and the <function ...> forms llama.cpp's Hermes parser accepts


def test_functionary_function_tag() -> None:
    assert parse('<function=special_function>{"arg1": 1}</function>').calls == [SPECIAL]
    text = (  # LLAMA_CPP
        '<function=special_function>{"arg1": 1}</function>\n'
        '<function=python>{"code":"print(\'hello\')"}</function>'
    )
    assert calls(text) == [
        ("special_function", {"arg1": 1}),
        ("python", {"code": "print('hello')"}),
    ]


def test_function_name_attribute() -> None:
    text = '<function name="special_function">\n{"arg1": 1}\n</function>'
    assert parse(text).calls == [SPECIAL]  # LLAMA_CPP


# --- Qwen3-Coder: <tool_call><function=NAME><parameter=KEY>\nVALUE\n</parameter>...


def test_qwen3_coder_xml() -> None:
    text = (  # LLAMA_CPP, Qwen3 Coder
        "<tool_call>\n<function=special_function>\n<parameter=arg1>\n1\n</parameter>\n"
        "</function>\n</tool_call>"
    )
    # No schema here to type it: values stay strings (pydantic's lax mode coerces "1" to 1).
    assert calls(text) == [("special_function", {"arg1": "1"})]


def test_qwen3_coder_xml_multiline_values_and_lists() -> None:
    text = (
        "I'll create the file.\n\n<tool_call>\n<function=write_file>\n"
        "<parameter=path>\nsrc/a.py\n</parameter>\n"
        "<parameter=content>\ndef f():\n    return 1\n\n</parameter>\n"
        "</function>\n</tool_call>\n<tool_call>\n<function=shell>\n"
        '<parameter=command>\n["pytest", "-q"]\n</parameter>\n</function>\n</tool_call>'
    )
    assert calls(text) == [
        ("write_file", {"path": "src/a.py", "content": "def f():\n    return 1\n"}),
        ("shell", {"command": ["pytest", "-q"]}),
    ]


def test_qwen3_coder_xml_unknown_function() -> None:
    text = "<tool_call>\n<function=web_search>\n<parameter=q>\nx\n</parameter>\n</function>"
    assert parse(text) == ParsedReply([], ["web_search"])


# --- other shapes


def test_tool_and_args_keys_one_per_line() -> None:
    # A ```tool fence and {"tool": ..., "args": ...}, as prompts for JSON-only agents ask for.
    text = (
        "```tool\n"
        '{"tool": "read_file", "args": {"path": "src/node.py"}}\n'
        "```\n"
        '{"tool": "shell", "args": {"command": "ls"}}\n'
        '{"tool": "read_file", "args": {"path": "package.json"}}\n'
    )
    assert calls(text) == [
        ("read_file", {"path": "src/node.py"}),
        ("shell", {"command": "ls"}),
        ("read_file", {"path": "package.json"}),
    ]


def test_fenced_tool_call_block_needs_no_arguments_key() -> None:
    assert calls('```tool_call\n{"name": "shell"}\n```') == [("shell", {})]


def test_openai_function_object_with_string_arguments() -> None:
    # The OpenAI chat completions tool_calls item, as ollama streams it for qwen2.5-coder.
    text = (
        '{"id": "call_hk81qg8b", "index": 0, "type": "function", "function": '
        '{"name": "run_command", "arguments": "{\\"command\\":\\"ls -la\\"}"}}'
    )
    assert calls(text, ["run_command"]) == [("run_command", {"command": "ls -la"})]


def test_tool_calls_wrapper_with_input() -> None:
    # lisone/ds2api tests/compat/fixtures/toolcalls/fenced_json.json
    text = '```json\n{"tool_calls":[{"name":"read_file","input":{"path":"README.MD"}}]}\n```'
    assert calls(text) == [("read_file", {"path": "README.MD"})]


def test_functions_namespace_is_dropped() -> None:
    assert calls('{"name": "functions.shell", "arguments": {"command": "ls"}}') == [
        ("shell", {"command": "ls"})
    ]


@pytest.mark.parametrize("key", ["arguments", "parameters", "args", "input"])
def test_argument_aliases(key: str) -> None:
    assert calls(f'{{"name": "shell", "{key}": {{"command": "ls"}}}}') == [
        ("shell", {"command": "ls"})
    ]


def test_arguments_as_a_json_string_or_missing() -> None:
    text = '<tool_call>{"name": "shell", "arguments": "{\\"command\\": \\"ls\\"}"}</tool_call>'
    assert calls(text) == [("shell", {"command": "ls"})]
    assert calls('<tool_call>{"name": "shell"}</tool_call>') == [("shell", {})]
    assert calls('{"name": "shell", "arguments": "not json"}') == [("shell", {})]


# --- what is not a call


def test_unknown_names_are_reported_once_in_order() -> None:
    text = (
        '<tool_call>{"name": "web_search", "arguments": {"q": "x"}}</tool_call>\n'
        '{"name": "shell", "arguments": {"command": "ls"}}\n'
        '<tool_call>{"name": "browser"}</tool_call>\n'
        '{"name": "web_search", "parameters": {"q": "y"}}'
    )
    assert parse(text) == ParsedReply(
        [TextCall("shell", '{"command": "ls"}')], ["web_search", "browser"]
    )


def test_prose_with_ordinary_json_is_not_a_call() -> None:
    text = (
        "Your package.json should look like this:\n\n```json\n"
        '{"name": "my-app", "version": "1.0.0", "scripts": {"test": "jest"}}\n```\n'
        'You could call it with {"name": "get_weather"} if you wanted. '
        'A list: [{"name": "Alice", "age": 30}]. A dict: {"a": 1}.'
    )
    assert parse(text) == ParsedReply([], [])


def test_a_tool_definition_is_not_a_call() -> None:
    text = (
        '{"type": "function", "function": {"name": "shell", "description": "Run a command.", '
        '"parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}}'
    )
    assert parse(text) == ParsedReply([], [])


def test_plain_text_and_empty() -> None:
    assert parse("Hello, world!\nWhat's up?") == ParsedReply([], [])
    assert parse("") == ParsedReply([], [])
    assert parse('{"name": "shell", "arguments": {}}', []) == ParsedReply([], ["shell"])


# --- lenient JSON


def test_raw_control_characters_and_trailing_text() -> None:
    text = '{"name": "shell", "arguments": {"command": "printf \'a\nb\tc\'"}} and then some}'
    assert calls(text) == [("shell", {"command": "printf 'a\nb\tc'"})]


def test_trailing_commas() -> None:
    text = '{"name": "shell", "arguments": {"command": ["ls", "-la",],},}'
    assert calls(text) == [("shell", {"command": ["ls", "-la"]})]


def test_python_dict_style() -> None:
    text = "{'name': 'shell', 'arguments': {'command': 'echo \"hi\"', 'background': False}}"
    assert calls(text) == [("shell", {"command": 'echo "hi"', "background": False})]
    assert calls("{'tool': 'read_file', 'args': {'path': 'x.py', 'limit': None,}}") == [
        ("read_file", {"path": "x.py", "limit": None})
    ]


def test_invalid_escapes() -> None:
    text = '{"name": "shell", "arguments": {"command": "echo it\\\'s; grep \'\\d+\' f"}}'
    assert calls(text) == [("shell", {"command": "echo it's; grep '\\d+' f"})]


def test_truncated_reply_gets_its_brackets_closed() -> None:
    assert calls('{"name": "shell", "arguments": {"command": ["ls", "-la"]') == [
        ("shell", {"command": ["ls", "-la"]})
    ]
    text = '```json\n{"name": "shell", "arguments": {"command": "ls"}\n```\nThat lists the files.'
    assert calls(text) == [("shell", {"command": "ls"})]
    text = '<tool_call>\n{"name": "shell", "arguments": {"command": "ls"}\n</tool_call>'
    assert calls(text) == [("shell", {"command": "ls"})]
    assert calls('<tool_call>{"name": "shell", "arguments": ') == [("shell", {})]


def test_truncated_inside_a_string_is_not_guessed() -> None:
    # Closing the string would run the call with its content cut short.
    text = '{"name": "write_file", "arguments": {"path": "a.py", "content": "def f():\n    ret'
    assert parse(text) == ParsedReply([], [])


def test_one_megabyte_of_garbage_returns_empty() -> None:
    rng = random.Random(7)
    garbage = "".join(rng.choice("{}[]\"':,ab \n`<>=*") for _ in range(1_000_000))
    for text in [garbage, '{"' * 500_000, "[{" * 500_000, "{'a" * 300_000, "<parameter=" * 90_000]:
        assert parse(text) == ParsedReply([], [])


def test_deep_nesting_does_not_raise() -> None:
    assert parse('{"name": "shell", "arguments": ' + "[" * 100_000) == ParsedReply([], [])
    assert parse("[{" * 5000 + '"a": 1' + "}]" * 5000) == ParsedReply([], [])


# --- Codex patches (apply_patch format, openai/codex codex-rs/apply-patch)

PATCH = """*** Begin Patch
*** Update File: src/app.py
@@ def greet():
-print("Hi")
+print("Hello, world!")
*** Add File: data.json
+{"name": "shell", "arguments": {"command": "rm -rf /"}}
*** End Patch"""


def test_patch_block_in_a_fence() -> None:
    text = f"Here is the change:\n\n```diff\n{PATCH}\n```\n\nThis updates the greeting."
    assert parse(text) == ParsedReply([TextCall("apply_patch", json.dumps({"patch": PATCH}))], [])


def test_bare_patch_block_and_json_inside_is_not_a_call() -> None:
    assert calls(PATCH) == [("apply_patch", {"patch": PATCH})]
    assert parse(PATCH, ["shell"]) == ParsedReply([], [])  # not offered: not a call either


def test_patch_without_end_marker() -> None:
    body = "*** Begin Patch\n*** Add File: hello.txt\n+Hello world"
    expected = [("apply_patch", {"patch": body + "\n*** End Patch"})]
    assert calls(body + "\n") == expected
    assert calls(f"```\n{body}\n```\nDone.") == expected


def test_two_patches() -> None:
    first = "*** Begin Patch\n*** Delete File: a.txt\n*** End Patch"
    second = "*** Begin Patch\n*** Delete File: b.txt\n*** End Patch"
    assert calls(f"{first}\nthen\n{second}") == [
        ("apply_patch", {"patch": first}),
        ("apply_patch", {"patch": second}),
    ]


# --- whole files under a FILE: line


@pytest.mark.parametrize(
    "header",
    ["FILE: src/app.py", "file: src/app.py", "**FILE: src/app.py**", "`FILE: src/app.py`",
     "# FILE: src/app.py", "### File: `src/app.py`", "**File:** `src/app.py`"],
)  # fmt: skip
def test_file_block(header: str) -> None:
    text = f"{header}\n\n```python\nimport os\n\n\ndef main():\n    pass\n```\n"
    assert calls(text) == [
        ("write_file", {"path": "src/app.py", "content": "import os\n\n\ndef main():\n    pass\n"})
    ]


def test_file_blocks_keep_content_exactly_and_allow_nested_fences() -> None:
    readme = "# App\n\n```bash\npip install app\n```\n\n~~~\nraw\n~~~\n  trailing  \n"
    text = (
        "Here are the files.\n\nFILE: README.md\n````markdown\n" + readme + "````\n\n"
        "FILE: config.json\n~~~json\n"
        '{"name": "shell", "arguments": {"command": "ls"}}\n'
        "~~~\n"
    )
    assert calls(text) == [
        ("write_file", {"path": "README.md", "content": readme}),
        ("write_file", {"path": "config.json", "content": '{"name": "shell", "arguments": '
                        '{"command": "ls"}}\n'}),
    ]  # fmt: skip


def test_file_line_without_a_fence_or_tool_is_not_a_file() -> None:
    assert parse("FILE: a.py\nprint(1)\n") == ParsedReply([], [])
    assert parse("FILE: a.py\n```python\nprint(1)\ndef f(") == ParsedReply([], [])  # truncated
    text = 'FILE: a.py\n```json\n{"name": "shell", "arguments": {"command": "ls"}}\n```'
    assert calls(text, ["shell"]) == [("shell", {"command": "ls"})]


def test_mixed_forms_keep_their_order() -> None:
    text = (
        '{"name": "read_file", "arguments": {"path": "a.py"}}\n'
        "FILE: b.py\n```\nx = 1\n```\n"
        "*** Begin Patch\n*** Delete File: c.py\n*** End Patch\n"
        "<tool_call>\n<function=shell>\n<parameter=command>\nls\n</parameter>\n</function>\n"
        "</tool_call>"
    )
    assert [name for name, _ in calls(text)] == ["read_file", "write_file", "apply_patch", "shell"]


def test_a_fenced_call_is_reported_once() -> None:
    text = "```json\n" + json.dumps({"name": "shell", "arguments": {"command": "ls"}}) + "\n```"
    assert len(parse(text).calls) == 1


def test_a_bash_block_is_a_call_where_bash_is_offered() -> None:
    reply = "Let me run it:\n```bash\n$ python3 hello.py\n```\n"
    assert parse_text_calls(reply, ["bash", "write_file"]).calls == [
        TextCall("bash", json.dumps({"command": "python3 hello.py"}))
    ]


def test_a_bash_block_is_only_an_example_beside_other_calls_or_without_bash() -> None:
    json_call = '```json\n{"name": "bash", "arguments": {"command": "ls"}}\n```\n'
    reply = json_call + "Later you can clean up:\n```bash\nrm -r build\n```\n"
    calls = parse_text_calls(reply, ["bash"]).calls
    assert [json.loads(c.arguments)["command"] for c in calls] == ["ls"]
    assert parse_text_calls("```bash\nrm -r build\n```\n", ["shell"]).calls == []
    assert parse_text_calls("```bash\nrm -r build\n", ["bash"]).calls == []  # never closed


def test_a_block_named_by_its_first_comment_or_a_bare_path_is_written() -> None:
    # Verbatim shape from the real model: the code, then the command that checks it.
    reply = (
        "Here's the corrected code:\n\n```python\n# average.py\ndef average(n):\n"
        "    return 1\n```\n\nThen I ran:\n\n```bash\npython3 -m pytest -q\n```\n"
    )
    calls = parse_text_calls(reply, ["bash", "write_file"]).calls
    assert [c.name for c in calls] == ["write_file", "bash"]
    assert json.loads(calls[0].arguments) == {
        "path": "average.py",
        "content": "# average.py\ndef average(n):\n    return 1\n",
    }
    bare = parse_text_calls("**mean.py**\n```python\nimport sys\n```\n", ["write_file"])
    assert json.loads(bare.calls[0].arguments)["path"] == "mean.py"
    example = "For example:\n```python\nprint(1)\n```\n"
    assert parse_text_calls(example, ["bash", "write_file"]).calls == []


# --- What people are shown: the reply without the calls, their fences and their tags.


@pytest.mark.parametrize(
    ("text", "prose"),
    [
        (QWEN_CODER_READ, "I will read the file to understand its contents."),
        (
            QWEN_CODER_TWO,
            "Sure! First, let's create the directory and then run the tests.\n\n"
            "After that, run the test suite:\n\nLet me know if you need anything else!",
        ),
        ('<tool_call>\n{"name": "shell", "arguments": {"command": "ls"}}\n</tool_call>', ""),
        (
            "Looking.\n<tool_call>\n<function=read_file>\n<parameter=path>\na.py\n</parameter>\n"
            "</function>\n</tool_call>\nThen more.",
            "Looking.\n\nThen more.",
        ),
        ('[TOOL_CALLS][{"name": "special_function", "arguments": {"arg1": 1}}]', ""),
        ('<function=special_function>{"arg1": 1}</function> after', "after"),
        ('```tool_call\n{"name": "shell", "arguments": {"command": "ls"}}\n```\nafter', "after"),
        (
            "Writing.\n\nFILE: a.py\n```python\nprint(1)\n```\n\nNow run it.",
            "Writing.\n\nNow run it.",
        ),
        (  # what is not a call is kept as it was, blank lines and all
            "Shape:\n\n```python\ndef a():\n    pass\n\n\ndef b():\n    pass\n```\n"
            '```json\n{"name": "shell", "arguments": {"command": "ls"}}\n```',
            "Shape:\n\n```python\ndef a():\n    pass\n\n\ndef b():\n    pass\n```",
        ),
        (
            "Two in one block:\n```json\n"
            '{"name": "shell", "arguments": {"command": "ls"}}\n'
            '{"name": "shell", "arguments": {"command": "pwd"}}\n```\nDone.',
            "Two in one block:\n\nDone.",
        ),
    ],
)
def test_prose_is_the_reply_without_its_calls(text: str, prose: str) -> None:
    assert parse(text).calls
    assert parse(text).prose == prose


@pytest.mark.parametrize(
    "text",
    [
        'Unknown: <tool_call>{"name": "nope", "arguments": {}}</tool_call> stays',
        'An example: {"name": "Ada", "age": 36} is ordinary JSON.',
        '```json\n{"a": 1}\n```',
        "",
    ],
)
def test_what_is_no_call_stays_in_the_prose(text: str) -> None:
    assert parse(text).prose == text


def test_an_unknown_call_beside_a_real_one_stays_shown() -> None:
    text = (
        '```json\n{"name": "shell", "arguments": {"command": "ls"}}\n```\n'
        '```json\n{"name": "nope", "arguments": {}}\n```'
    )
    reply = parse(text)
    assert [c.name for c in reply.calls] == ["shell"] and reply.unknown == ["nope"]
    assert reply.prose == '```json\n{"name": "nope", "arguments": {}}\n```'
