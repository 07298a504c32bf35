"""Run in a terminal by ``test_region``: a turn of many short commands, whose events reach the
shell's renderer from a worker thread while its live region redraws, as in the shell. Prints
DONE at the end."""

from __future__ import annotations

import sys
import threading
import time

from rich.console import Console

from kodo.events import CommandDetail, CommandOutput, ToolCall, ToolResult
from kodo.ui.live import ShellRenderer


def commands(show: ShellRenderer, seconds: float) -> int:
    """Runs short commands for ``seconds``; returns how many ran."""
    count, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        call = f"call-{count}"
        show(
            ToolCall(
                call_id=call, name="shell", arguments="{}", title=f"$ job {count}", streams=True
            )
        )
        for tick in range(3):
            show(CommandOutput(call_id=call, text=f"tick-{tick}\n"))
            time.sleep(0.002)
        tail = [f"out-{count}-{line}" for line in range(4)]
        detail = CommandDetail(command=f"job {count}", exit_code=0, tail=tail, lines=4)
        show(
            ToolResult(call_id=call, name="shell", output="", title=f"$ job {count}", detail=detail)
        )
        count += 1
        time.sleep(0.01)  # the region shows "thinking" for a moment, as between real commands
    return count


def main() -> None:
    show = ShellRenderer(Console(highlight=False), {}, "scripted")
    show.begin_turn()
    ran: list[int] = []
    worker = threading.Thread(target=lambda: ran.append(commands(show, float(sys.argv[1]))))
    worker.start()
    worker.join()
    show.end_turn()
    print(f"DONE {ran[0]}")


if __name__ == "__main__":
    main()
