"""``kodo mcp-server``: kodo itself as an MCP server over stdio, so another agent or editor can
hand it a task.

Each task runs as a separate ``kodo exec --json`` process: a session gets a clean process (its
own signal handling, sandbox and cleanup), and a cancelled call stops it the same way Ctrl-C
would. The result is the session's final message and the diff of what it changed; a session
that did not complete (an error, a spent budget) is a tool error (``isError``) with the same
text, its status and reason first, so the client cannot take it for done.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from kodo.events import SessionCompleted
from kodo.mcp.workspace_diff import WorkspaceSnapshot
from kodo.session.store import events_in
from kodo.workspace.errors import SnapshotError

MAX_DIFF_CHARS = 100_000
_STOP_GRACE_S = 10.0

TASK_DESCRIPTION = (
    "Run an autonomous kodo coding session on a task in a directory. kodo reads and edits the "
    "files there and runs commands in its sandbox until the work is done. Returns the final "
    "message of the session and a unified diff of every file it changed."
)


def exec_command(
    cwd: Path, model: str | None, provider: str | None, base_url: str | None
) -> list[str]:
    """The ``kodo exec`` command line; the prompt goes on stdin so no prompt is read as a flag."""
    argv = [
        sys.executable,
        "-P",
        "-m",
        "kodo",
        "exec",
        "--json",
        "-C",
        str(cwd),
    ]  # -P: cwd is untrusted
    for flag, value in (("-m", model), ("--provider", provider), ("--base-url", base_url)):
        if value:
            argv += [flag, value]
    return [*argv, "-"]


def _completion(stdout: bytes) -> SessionCompleted | None:
    events = events_in(stdout.decode("utf-8", errors="replace").splitlines())
    return next((e for e in reversed(events) if isinstance(e, SessionCompleted)), None)


async def _run_kodo(argv: list[str], prompt: str) -> tuple[int, bytes, bytes]:
    """Runs kodo to the end; if the call is cancelled, stops it with SIGTERM (kodo then closes
    its session and processes) and kills it only if it does not stop in time."""
    import anyio

    # Same process group as this server: a client that stops the group stops the task too.
    async with await anyio.open_process(argv) as process:
        stdin = process.stdin
        assert stdin is not None  # open_process pipes stdin unless told otherwise
        out, err = bytearray(), bytearray()

        async def drain(stream: Any, into: bytearray) -> None:
            async for chunk in stream:
                into.extend(chunk)

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(drain, process.stdout, out)
                tg.start_soon(drain, process.stderr, err)
                await stdin.send(prompt.encode("utf-8"))
                await stdin.aclose()
            code = await process.wait()
        except BaseException:
            with anyio.CancelScope(shield=True):
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                    with anyio.move_on_after(_STOP_GRACE_S):
                        await process.wait()
                if process.returncode is None:
                    process.kill()
            raise
    return code, bytes(out), bytes(err)


async def run_task(
    prompt: Annotated[str, Field(description="The task, as you would describe it to an engineer.")],
    cwd: Annotated[str, Field(description="Absolute path of the directory to work in.")],
    model: Annotated[str | None, Field(description="Model name; kodo's config if omitted.")] = None,
    provider: Annotated[
        str | None, Field(description="openai, openai-chat, anthropic or ollama.")
    ] = None,
    base_url: Annotated[
        str | None, Field(description="Model server URL, if not the default.")
    ] = None,
) -> str:
    import anyio
    from mcp.server.mcpserver.exceptions import ToolError

    root = Path(cwd).expanduser()
    if not root.is_dir():
        raise ToolError(f"cwd {cwd!r} is not a directory")
    root = root.resolve()
    try:
        snapshot = await anyio.to_thread.run_sync(WorkspaceSnapshot, root)
    except SnapshotError as exc:
        raise ToolError(f"cannot snapshot {cwd!r} to diff the task's changes: {exc}") from exc
    try:
        code, stdout, stderr = await _run_kodo(
            exec_command(root, model, provider, base_url), prompt
        )
        done = _completion(stdout)
        if done is None:
            tail = stderr.decode("utf-8", errors="replace").strip()[-2000:]
            raise ToolError(f"kodo exited with code {code} before finishing a session: {tail}")
        diff = await anyio.to_thread.run_sync(snapshot.diff)
    except SnapshotError as exc:
        raise ToolError(f"kodo finished but diffing its changes failed: {exc}") from exc
    finally:
        snapshot.close()
    if len(diff) > MAX_DIFF_CHARS:
        cut = len(diff) - MAX_DIFF_CHARS
        diff = diff[:MAX_DIFF_CHARS] + f"\n[diff cut: {cut} more characters]\n"
    lines = [f"status: {done.status}"]
    if done.error:
        lines.append(f"error: {done.error}")
    lines += ["", "final message:", done.final_message or "(none)", "", "diff:"]
    lines.append(diff.rstrip("\n") or "(no changes)")
    text = "\n".join(lines) + "\n"
    if done.status != "completed":  # the client must not take an unfinished task for done
        raise ToolError(text)
    return text


def build_server() -> Any:
    from mcp.server.mcpserver import MCPServer

    server = MCPServer(
        "kodo",
        instructions="kodo is an autonomous software engineer; give it a task with kodo_task.",
        log_level="WARNING",  # stderr is the client's log; routine INFO lines only clutter it
    )
    server.add_tool(
        run_task, name="kodo_task", description=TASK_DESCRIPTION, structured_output=False
    )
    return server


def run(args: argparse.Namespace) -> int:
    build_server().run("stdio")
    return 0
