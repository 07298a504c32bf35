"""``update_plan``: the model keeps a visible checklist of its steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kodo.events import PlanStep, PlanUpdated
from kodo.records import spec
from kodo.tools.base import ToolContext, ToolOutput


@dataclass(kw_only=True)
class UpdatePlanArgs:
    explanation: str | None = spec(None, description="Why the plan changed, if it did.")
    plan: list[PlanStep] = spec(
        description="All steps in order; at most one step is in_progress at a time."
    )


class UpdatePlanTool:
    name: ClassVar[str] = "update_plan"
    description: ClassVar[str] = (
        "Record or update your plan as a list of steps, each pending, in_progress or completed. "
        "Use it for work with several steps; keep exactly one step in_progress while working."
    )
    Args: ClassVar[type] = UpdatePlanArgs

    def describe(self, args: UpdatePlanArgs) -> str:
        """Nothing: the plan_updated event shows the plan."""
        return ""

    def run(self, args: UpdatePlanArgs, ctx: ToolContext) -> ToolOutput:
        active = [s for s in args.plan if s.status == "in_progress"]
        if len(active) > 1:
            return ToolOutput("error: at most one step may be in_progress.", ok=False)
        ctx.emit(PlanUpdated(explanation=args.explanation, steps=args.plan))
        return ToolOutput("Plan updated.")
