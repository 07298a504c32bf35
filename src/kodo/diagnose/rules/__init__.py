"""Rule tables: each family module lists (signal kind, cheap needle, regex) rows.

The needle is a literal substring; the scanner finds needles chunk-wide with str.find so that
only the few interesting lines of a huge log ever reach the per-rule regexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LONG_LINE = 16 * 1024
WINDOW = 4096  # every pattern bounds its own reach, so this window holds any whole match


@dataclass(frozen=True)
class Rule:
    kind: str
    needle: str
    pattern: str = ""
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern or re.escape(self.needle)))

    def match(self, line: str) -> dict[str, str] | None:
        at = line.find(self.needle)
        if at < 0:
            return None
        if len(line) > LONG_LINE:  # glued or flooded line: look only around the first hit
            line = line[max(0, at - WINDOW) : at + WINDOW]
        m = self.regex.search(line)
        if m is None:
            return None
        return {k: v for k, v in m.groupdict().items() if v is not None}


def all_rules() -> list[Rule]:
    from kodo.diagnose.rules import cuda, elastic, k8s, nccl, slurm, torch

    return [*torch.RULES, *nccl.RULES, *elastic.RULES, *cuda.RULES, *slurm.RULES, *k8s.RULES]
