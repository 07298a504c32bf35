"""Running the model's commands: sandboxed by default (bubblewrap), plainly when asked."""

from __future__ import annotations

from kodo.sandbox.base import SandboxUnavailable
from kodo.sandbox.factory import create_executor

__all__ = ["SandboxUnavailable", "create_executor"]
