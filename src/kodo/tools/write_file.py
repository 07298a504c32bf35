"""``write_file``: the compact profile's way to create or replace a file with its whole content.

Small models break JSON-escaped patches (quotes, backslashes, a stray patch marker); a whole
file is the simplest edit they get right, and in the reply text (``FILE: path`` and a fenced
block, parsed by ``models/text_calls.py``) it needs no escaping at all."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from kodo.sandbox.approval import edit_permission
from kodo.tools.apply_patch import PatchError, patch_output, read_only_refusal, write_file
from kodo.tools.base import ToolContext, ToolOutput
from kodo.tools.fs_access import write_checker


class WriteFileArgs(BaseModel):
    path: str = Field(description="File path, relative to the working directory.")
    content: str = Field(description="The whole new content of the file.")


class WriteFileTool:
    name: ClassVar[str] = "write_file"
    description: ClassVar[str] = (
        "Create a file or replace its whole content. Parent folders are created."
    )
    Args: ClassVar[type[BaseModel]] = WriteFileArgs

    def run(self, args: WriteFileArgs, ctx: ToolContext) -> ToolOutput:
        if ctx.config.sandbox_mode == "read-only":
            return read_only_refusal(self.name)
        content = args.content
        if content and not content.endswith("\n"):
            content += "\n"
        shown = "".join(f"+{line}\n" for line in content.splitlines())
        checker = write_checker(ctx.config, ctx.cwd)
        refusal, can_write = edit_permission(ctx, [args.path], shown, checker)
        if refusal is not None:
            return ToolOutput(f"error: {refusal}", ok=False)
        try:
            result = write_file(args.path, content, ctx.cwd, can_write)
        except PatchError as exc:
            return ToolOutput(f"error: {exc}", ok=False)
        return patch_output(result)
