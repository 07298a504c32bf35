"""``write_file``: the compact profile's way to create or replace a file with its whole content.

Small models break JSON-escaped patches (quotes, backslashes, a stray patch marker); a whole
file is the simplest edit they get right, and in the reply text (``FILE: path`` and a fenced
block, parsed by ``models/text_calls.py``) it needs no escaping at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kodo.records import spec
from kodo.sandbox.approval import EditAsk, edit_guard
from kodo.tools.apply_patch import PatchError, patch_output, read_only_refusal, write_file
from kodo.tools.base import Approval, ToolContext, ToolOutput
from kodo.tools.fs_access import write_checker


@dataclass(kw_only=True)
class WriteFileArgs:
    path: str = spec(description="File path, relative to the working directory.")
    content: str = spec(description="The whole new content of the file.")


class WriteFileTool:
    name: ClassVar[str] = "write_file"
    description: ClassVar[str] = (
        "Create a file or replace its whole content. Parent folders are created."
    )
    Args: ClassVar[type] = WriteFileArgs

    def describe(self, args: WriteFileArgs) -> str:
        return f"write_file {args.path}"

    def approval(self, args: WriteFileArgs, ctx: ToolContext) -> Approval | None:
        """The whole new content, shown as added lines; nothing to ask in a read-only session,
        which ``run`` refuses."""
        if ctx.config.sandbox_mode == "read-only":
            return None
        shown = "".join(f"+{line}\n" for line in _content(args).splitlines())
        return Approval(EditAsk([args.path], shown))

    def run(self, args: WriteFileArgs, ctx: ToolContext) -> ToolOutput:
        if ctx.config.sandbox_mode == "read-only":
            return read_only_refusal(self.name)
        can_write = edit_guard(ctx.approved, ctx.cwd, write_checker(ctx.config, ctx.cwd))
        try:
            result = write_file(args.path, _content(args), ctx.cwd, can_write)
        except PatchError as exc:
            return ToolOutput(f"error: {exc}", ok=False)
        return patch_output(result)


def _content(args: WriteFileArgs) -> str:
    """The file's new text, ending with a newline unless empty."""
    content = args.content
    return content + "\n" if content and not content.endswith("\n") else content
