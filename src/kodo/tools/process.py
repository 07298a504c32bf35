"""``process``: read from, write to, stop or list the background processes of the session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from kodo.records import spec
from kodo.tools.base import ToolContext, ToolOutput


@dataclass(kw_only=True)
class ProcessArgs:
    action: Literal["read", "write", "stop", "list"]
    id: str | None = spec(None, description="The process id from shell (not needed for list).")
    input: str | None = spec(None, description="Text to send to its stdin (action write).")
    wait_ms: int = spec(0, ge=0, le=60_000, description="How long to wait for new output.")


class ProcessTool:
    name: ClassVar[str] = "process"
    description: ClassVar[str] = (
        "Manage background processes started with shell(background=true): read new output "
        "(optionally waiting wait_ms), write to stdin, stop (kills its whole process group), "
        "or list them with their status."
    )
    Args: ClassVar[type] = ProcessArgs

    def describe(self, args: ProcessArgs) -> str:
        return " ".join(word for word in ("process", args.action, args.id) if word)

    def run(self, args: ProcessArgs, ctx: ToolContext) -> ToolOutput:
        if args.action == "list":
            handles = ctx.executor.processes()
            if not handles:
                return ToolOutput("no background processes.")
            lines = [f"{h.id}: {h.status()}: {' '.join(h.argv)}" for h in handles]
            return ToolOutput("\n".join(lines))
        if not args.id:
            return ToolOutput(f"error: action {args.action} needs an id.", ok=False)
        handle = ctx.executor.get(args.id)
        if handle is None:
            return ToolOutput(f"error: no background process {args.id!r}.", ok=False)
        if args.action == "write":
            if args.input is None:
                return ToolOutput("error: action write needs input.", ok=False)
            try:
                handle.write(args.input)
            except OSError as exc:
                return ToolOutput(f"error: cannot write to {handle.id}: {exc}", ok=False)
            output = handle.read_new(args.wait_ms / 1000)
        elif args.action == "stop":
            handle.stop()
            output = handle.read_new()
        else:
            output = handle.read_new(args.wait_ms / 1000)
        return ToolOutput(f"{handle.id}: {handle.status()}\n{output or '(no new output)'}")
