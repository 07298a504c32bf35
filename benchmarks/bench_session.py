"""A whole ``kodo exec`` session, phase by phase, against an instant scripted model on the
Responses API: what the harness itself costs from launch to exit.

Each turn the model asks for one short shell command (a different one each turn, so no repeat
guard fires); the last turn answers in text. The clock is the scripted server's: when each
request arrives and when the process is gone. Printed, for a 20-turn and a 200-turn session:

- start → first request (imports, config, sandbox, request building),
- the first turn (first request → second request: parse the answer, run a command, build the
  next request), the median steady turn, and turns 2–11 against the last ten (does the per-turn
  cost grow with history?),
- exit (the last request → the process gone: the final answer, closing the session, teardown),
- peak RSS of the agent's own process (its ``VmHWM``, read every 10 ms: the
  ``wait4`` figure would include the benchmark's own memory, which a child inherits at fork);

and the 20-turn session again with a deliberately slow login profile (``sleep`` in
``~/.bash_profile``), which commands pay per command when run under ``bash -lc`` and once per
session with a login-environment snapshot. Last, one command under ``kodo sandbox -- true``,
launch to exit.

When Codex CLI is installed (``--codex PATH``, ``$CODEX_BIN``, ``benchmarks/.codex`` or ``codex``
on PATH; ``npm install --prefix benchmarks/.codex @openai/codex``), it runs the same sessions
on the same server (its ``exec_command`` tool) and the ratios kodo / Codex are printed.

    .venv/bin/python benchmarks/bench_session.py [--runs 3] [--long 200] [--codex PATH]
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.openai_server import ScriptedOpenAIServer  # noqa: E402
from tests.fakes.script import Call, Reply  # noqa: E402

PROMPT = "run the numbered echo commands one by one, then say done"
SLOW_PROFILE_S = 0.2
TIMEOUT_S = 600.0
CODEX_NATIVE = "@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex"


def scratch_root() -> str | None:
    """Not under /tmp: the sandbox has a private /tmp, and the profile in the temporary HOME
    must be visible to commands run inside it, as a real home would be."""
    return "/var/tmp" if os.access("/var/tmp", os.W_OK) else None


@dataclass
class Agent:
    name: str
    argv: Callable[[str], list[str]]  # base URL -> command line
    env: Callable[[Path, str], dict[str, str]]  # scratch dir, base URL -> environment
    call: Callable[[int], Call]  # turn number -> the command the model asks for


def _clean_env(home: Path) -> dict[str, str]:
    """No keys, and bytecode cached as an installed kodo's is."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(HOME=str(home), SHELL="/bin/bash")
    return env


def _watch_peak(pid: int, peak: list[int]) -> None:
    """Keeps the highest ``VmHWM`` (kB) of process ``pid`` until it is gone."""
    status = Path(f"/proc/{pid}/status")
    while True:
        try:
            text = status.read_text()
        except OSError:
            return
        hwm = next((line.split()[1] for line in text.splitlines() if line[:6] == "VmHWM:"), None)
        if hwm is None:  # a zombie: its memory is gone
            return
        peak[0] = max(peak[0], int(hwm))
        time.sleep(0.01)


def kodo_agent() -> Agent:
    def argv(url: str) -> list[str]:
        return [
            *(sys.executable, "-m", "kodo", "exec", "--json", "--provider", "openai"),
            *("--base-url", url, "-m", "scripted", "--max-turns", "1000", PROMPT),
        ]

    def env(scratch: Path, url: str) -> dict[str, str]:
        return {**_clean_env(scratch / "home"), "KODO_HOME": str(scratch / "kodo-home")}

    return Agent("kodo", argv, env, lambda i: Call("shell", {"command": f"echo turn {i}"}))


def find_codex(given: str | None) -> str | None:
    """The native Codex binary (not the node wrapper around it), or None."""
    candidates = [given, os.environ.get("CODEX_BIN")]
    candidates.append(str(ROOT / "benchmarks/.codex/node_modules" / CODEX_NATIVE))
    candidates.append(shutil.which("codex"))
    for found in filter(None, candidates):
        path = Path(found).resolve()
        if path.suffix == ".js":  # npm's node wrapper: the binary it starts lies beside it
            modules = next((p for p in path.parents if p.name == "node_modules"), None)
            path = modules / CODEX_NATIVE if modules else path
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return None


def codex_agent(binary: str) -> Agent:
    def argv(url: str) -> list[str]:
        return [binary, "exec", "--skip-git-repo-check", "--json", "-s", "workspace-write", PROMPT]

    def env(scratch: Path, url: str) -> dict[str, str]:
        home = scratch / "codex-home"
        home.mkdir()
        (home / "config.toml").write_text(
            'model = "scripted"\nmodel_provider = "bench"\n'
            "[model_providers.bench]\n"
            f'name = "bench"\nbase_url = "{url}"\nenv_key = "BENCH_KEY"\nwire_api = "responses"\n'
        )
        return {**_clean_env(scratch / "home"), "CODEX_HOME": str(home), "BENCH_KEY": "bench"}

    return Agent("codex", argv, env, lambda i: Call("exec_command", {"cmd": f"echo turn {i}"}))


@dataclass
class Session:
    start_to_first: float
    first_turn: float
    turns: list[float]  # seconds from request n to request n + 1, n = 1...
    exit: float
    peak_rss_mb: float

    @property
    def steady(self) -> float:
        return statistics.median(self.turns[1:])

    @property
    def early(self) -> float:
        return statistics.median(self.turns[1:11])

    @property
    def late(self) -> float:
        return statistics.median(self.turns[-10:])


def run_session(agent: Agent, turns: int, *, slow_profile: bool) -> Session:
    arrivals: list[float] = []

    def answer(turn: int) -> Callable[[dict[str, Any]], Reply]:
        def reply(request: dict[str, Any]) -> Reply:
            arrivals.append(time.perf_counter())
            if turn == turns:
                return Reply(text="Done: every command ran.")
            return Reply(tool_calls=[agent.call(turn)])

        return reply

    script = [answer(turn) for turn in range(1, turns + 1)]
    with (
        ScriptedOpenAIServer(script) as server,
        tempfile.TemporaryDirectory(dir=scratch_root()) as tmp,
    ):
        scratch = Path(tmp)
        (scratch / "ws").mkdir()
        (scratch / "home").mkdir()
        if slow_profile:
            (scratch / "home/.bash_profile").write_text(f"sleep {SLOW_PROFILE_S}\n")
        env = agent.env(scratch, server.base_url)
        with open(scratch / "out", "wb") as out, open(scratch / "err", "wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(
                agent.argv(server.base_url),
                cwd=scratch / "ws",
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
            peak = [0]
            watcher = threading.Thread(target=_watch_peak, args=(proc.pid, peak), daemon=True)
            watcher.start()
            _, status, _ = os.wait4(proc.pid, 0)
            watcher.join()
            gone = time.perf_counter()
            proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0 or len(arrivals) != turns or server.exhausted:
            tail = (scratch / "err").read_text(errors="replace")[-2000:]
            raise RuntimeError(
                f"{agent.name}: exit {proc.returncode} after {len(arrivals)}/{turns} requests\n"
                f"{tail}"
            )
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    return Session(
        start_to_first=arrivals[0] - start,
        first_turn=gaps[0],
        turns=gaps,
        exit=gone - arrivals[-1],
        peak_rss_mb=peak[0] / 1024,
    )


def median_session(agent: Agent, turns: int, runs: int, *, slow_profile: bool) -> Session:
    sessions = [run_session(agent, turns, slow_profile=slow_profile) for _ in range(runs)]

    def med(pick: Callable[[Session], float]) -> float:
        return statistics.median(pick(s) for s in sessions)

    per_turn = [statistics.median(ts) for ts in zip(*(s.turns for s in sessions), strict=True)]
    return Session(
        start_to_first=med(lambda s: s.start_to_first),
        first_turn=med(lambda s: s.first_turn),
        turns=per_turn,
        exit=med(lambda s: s.exit),
        peak_rss_mb=med(lambda s: s.peak_rss_mb),
    )


ROWS: list[tuple[str, Callable[[Session], float], str]] = [
    ("start → first request", lambda s: s.start_to_first * 1000, "ms"),
    ("first turn", lambda s: s.first_turn * 1000, "ms"),
    ("median steady turn", lambda s: s.steady * 1000, "ms"),
    ("turns 2–11 (median)", lambda s: s.early * 1000, "ms"),
    ("last 10 turns (median)", lambda s: s.late * 1000, "ms"),
    ("last answer → exit", lambda s: s.exit * 1000, "ms"),
    ("peak RSS", lambda s: s.peak_rss_mb, "MB"),
]


def report(title: str, results: dict[str, Session]) -> None:
    names = list(results)
    print(f"-- {title}", flush=True)
    header = f"  {'':26}" + "".join(f"{n:>12}" for n in names)
    if len(names) == 2:
        header += f"{'kodo/codex':>12}"
    print(header)
    for label, pick, unit in ROWS:
        values = [pick(results[n]) for n in names]
        line = f"  {label:26}" + "".join(f"{v:>9.1f} {unit:2}" for v in values)
        if len(values) == 2 and values[1] > 0:
            line += f"{values[0] / values[1]:>11.2f}×"
        print(line)
    for name in names:
        s = results[name]
        print(f"  {name}: last 10 turns / turns 2–11 = {s.late / s.early:.2f}")
    print(flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each short session")
    parser.add_argument("--turns", type=int, default=20, help="turns of the short session")
    parser.add_argument("--long", type=int, default=200, help="turns of the long session")
    parser.add_argument("--codex", help="the Codex CLI binary to compare with")
    args = parser.parse_args()

    agents = [kodo_agent()]
    codex = find_codex(args.codex)
    if codex is None:
        print(
            "codex: not installed, so kodo runs alone (npm install --prefix benchmarks/.codex "
            "@openai/codex, or pass --codex PATH)"
        )
    else:
        agents.append(codex_agent(codex))
        version = subprocess.run([codex, "--version"], capture_output=True, text=True)
        print(f"codex: {codex} ({version.stdout.strip()})")
    cases = [
        (f"{args.turns}-turn session ({args.runs} runs, medians)", args.turns, args.runs, False),
        (f"{args.long}-turn session (1 run)", args.long, 1, False),
        (
            f"{args.turns}-turn session, login profile sleeping {SLOW_PROFILE_S:g} s "
            f"({args.runs} runs, medians)",
            args.turns,
            args.runs,
            True,
        ),
    ]
    for title, turns, runs, slow in cases:
        results = {a.name: median_session(a, turns, runs, slow_profile=slow) for a in agents}
        report(title, results)
    one_shot_sandbox(codex, runs=max(5, 5 * args.runs))
    return 0


def one_shot_sandbox(codex: str | None, runs: int) -> None:
    """``kodo sandbox -- true`` against ``codex sandbox -- true``, launch to exit: one command
    under each sandbox, as a person checks what the model's commands may do. kodo's first run
    builds the sandbox and keeps it (``sandbox/plans.py``); later runs in the same place reuse
    it while the host still reads the same, so both are shown."""
    commands = {"kodo": [sys.executable, "-m", "kodo", "sandbox", "--", "true"]}
    if codex is not None:
        commands["codex"] = [codex, "sandbox", "--", "true"]
    with tempfile.TemporaryDirectory(dir=scratch_root()) as tmp:
        scratch = Path(tmp)
        (scratch / "home").mkdir()
        (scratch / "codex-home").mkdir()
        env = {
            **_clean_env(scratch / "home"),
            "KODO_HOME": str(scratch / "kodo-home"),
            "CODEX_HOME": str(scratch / "codex-home"),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs + 1):  # interleaved, so a busy moment costs both alike
            for name, argv in commands.items():
                start = time.perf_counter()
                subprocess.run(argv, cwd=scratch, env=env, check=True, capture_output=True)
                times[name].append((time.perf_counter() - start) * 1000)
    first = times["kodo"].pop(0)
    if "codex" in times:
        times["codex"].pop(0)
    print(f"-- one command in the sandbox, launch to exit ({runs} runs, medians)")
    line = "  " + "".join(f"{name} {statistics.median(t):.1f} ms   " for name, t in times.items())
    if "codex" in times:
        ratio = statistics.median(times["kodo"]) / statistics.median(times["codex"])
        line += f"kodo/codex {ratio:.2f}×"
    print(line)
    print(f"  kodo's first run, which builds the sandbox and keeps it: {first:.1f} ms", flush=True)


if __name__ == "__main__":
    sys.exit(main())
