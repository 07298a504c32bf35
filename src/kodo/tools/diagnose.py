"""``diagnose``: the agent triages logs of a failed distributed GPU job and gets JSON back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kodo.records import spec
from kodo.tools.base import ToolContext, ToolOutput, resolve_path


@dataclass(kw_only=True)
class DiagnoseArgs:
    paths: list[str] = spec(
        min_length=1,
        description="Log files or directories (relative to the working directory); .gz is fine.",
    )


class DiagnoseTool:
    name: ClassVar[str] = "diagnose"
    description: ClassVar[str] = (
        "Diagnose a failed or hung distributed GPU training job from its logs (PyTorch/NCCL, "
        "torchrun, CUDA/Xid, Slurm, Kubernetes). Give every rank's log. Returns JSON: ranked "
        "findings (class, confidence, culprit ranks/hosts, evidence, fixes), a cross-rank "
        "timeline and a validation script."
    )
    Args: ClassVar[type] = DiagnoseArgs

    def describe(self, args: DiagnoseArgs) -> str:
        return f"diagnose {' '.join(args.paths)}"

    def run(self, args: DiagnoseArgs, ctx: ToolContext) -> ToolOutput:
        from kodo.diagnose import InputError, diagnose_paths

        paths = [str(resolve_path(ctx, p)) for p in args.paths]
        try:
            diagnosis = diagnose_paths(paths)
        except InputError as exc:
            return ToolOutput(f"error: {exc}", ok=False)
        return ToolOutput(diagnosis.to_json())
