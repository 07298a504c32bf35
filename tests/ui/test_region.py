"""The live region in a real terminal (tmux): what was printed above it stays there while it
redraws. Printing from the agent's thread used to race rich's own redraw thread, which then
moved the cursor by a stale height and erased finished lines: under load a command's card,
exit mark included, vanished from the shell (seen in CI)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.harness import kodo_env
from tests.ui.tmux import TmuxShell

ROOT = Path(__file__).resolve().parents[2]
SECONDS = 4  # about 170 commands and 32 redraws: the old race erased cards in 5 runs of 6


def test_every_finished_card_stays_on_screen_while_the_region_redraws(tmp_path: Path) -> None:
    env = kodo_env(PYTHONPATH=str(ROOT))
    term = TmuxShell([str(SECONDS)], cwd=tmp_path, env=env, module="tests.ui.cards_driver")
    try:
        screen = term.wait_for(r"(?m)^DONE \d+$", timeout=120)
    finally:
        term.close()
    ran = int(re.findall(r"(?m)^DONE (\d+)$", screen)[-1])
    card = (
        r"(?m)^\$ job (\d+)\n  │ out-\1-0\n  │ out-\1-1\n  │ out-\1-2\n  │ out-\1-3\n  ✓ exit 0 · "
    )
    shown = {int(i) for i in re.findall(card, screen)}
    lost = sorted(set(range(ran)) - shown)
    assert ran > 0 and not lost, f"{len(lost)} of {ran} cards erased: {lost[:20]}\n{screen[-3000:]}"
    assert "running · " not in screen and "tick-" not in screen  # the region left nothing
