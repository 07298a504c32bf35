"""A command that needs the network, through the real CLI: ``kodo exec`` tells the model what the
person can allow, the shell under ``on-request`` asks the person, and ``network = "registries"``
refuses hosts that are no package index. Nothing here leaves the machine: with the network off
no name resolves, and the proxy refuses before connecting."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.harness import exec_args, run_kodo
from tests.e2e.test_shell import model_args, shell, tool_messages
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply


def test_exec_tells_the_model_how_the_person_can_allow_the_network(tmp_path: Path) -> None:
    script = [
        Reply(tool_calls=[Call("shell", {"command": "curl -sS https://pypi.org/simple/"})]),
        Reply(text="cannot reach PyPI"),
    ]
    with ScriptedOpenAIServer(script) as srv:
        run = run_kodo([*exec_args(srv.base_url), "install requests"], cwd=tmp_path)
        requests = srv.requests
    assert run.returncode == 0, run.stderr
    [result] = tool_messages(requests[1])
    assert "Could not resolve host" in result
    note = result.split("note from kodo: ", 1)[1]
    assert 'network = "registries"' in note and "--network" in note


def test_registries_refuse_other_hosts_with_a_reason(tmp_path: Path) -> None:
    script = [
        Reply(tool_calls=[Call("shell", {"command": "curl -sSv https://example.com/ 2>&1"})]),
        Reply(text="blocked"),
    ]
    with ScriptedOpenAIServer(script) as srv:
        args = [*exec_args(srv.base_url), "-c", "network=registries"]
        args += ["-c", 'network_allow=["pypi.mirror.example"]', "fetch example.com"]
        run = run_kodo(args, cwd=tmp_path)
        requests = srv.requests
    assert run.returncode == 0, run.stderr
    [result] = tool_messages(requests[1])
    assert "< HTTP/1.1 403 kodo's sandbox proxy refused example.com:443" in result
    assert "pypi.mirror.example)" in result
    assert 'network_allow = ["HOST"]' in result.split("note from kodo: ", 1)[1]
    events = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert events[-1]["type"] == "session_completed"


def test_the_shell_offers_network_as_an_approval_under_on_request(tmp_path: Path) -> None:
    script = [
        Reply(tool_calls=[Call("shell", {"command": "curl -sS https://pypi.org/simple/"})]),
        Reply(text="finished without network"),
    ]
    with (
        ScriptedOpenAIServer(script) as srv,
        shell(model_args(srv.base_url, "-a", "on-request"), tmp_path) as term,
    ):
        start = term.mark()
        term.type("install requests")
        screen = term.wait_for(r"allow\?", after=start)[start:]
        assert "OUTSIDE the sandbox" in screen and "needs network access" in screen
        term.type("n")
        term.wait_for("finished without network", after=start)
    [result] = tool_messages(srv.requests[1])
    assert "not re-run outside the sandbox: the command was refused by the person" in result
    assert "note from kodo:" in result
