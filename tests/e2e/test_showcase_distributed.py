"""Showcase: ``kodo exec "Analyze this NCCL timeout and fix it"``.

The workspace holds the torchrun log of a failed 8-GPU job (from tests/data/diagnose: seven ranks
hit the NCCL watchdog timeout in an ALLGATHER ten minutes after rank 6 was SIGKILLed) and its
launch script. The scripted model loads the distributed-debugging skill, runs the diagnose tool,
which names rank 6 as the culprit, edits the launch script for the likely cause (host memory
exhausted by dataloader workers), then writes an 8-rank all-reduce smoke test, reads why its
first run fails on its own off-by-one expected sum, fixes it and sees every rank agree.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from tests.e2e.harness import command_of, exec_args, run_kodo
from tests.e2e.showcase.session import PY, Session, contains, patch_add, plan, source, succeeded
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply

PROMPT = "Analyze this NCCL timeout and fix it"
FAILED_JOB = Path(__file__).parents[1] / "data/diagnose/multirank/sigkill_rank6_torchrun"
CHECK = [PY, "check_allreduce.py", "--world-size", "8"]
RANK_OK = re.compile(r"^rank (\d+)/8 (gloo|nccl): sum 36 expected 36 OK$", re.MULTILINE)
LAUNCH_FIX = """\
*** Begin Patch
*** Update File: train.sh
@@
 export NCCL_DEBUG=WARN
+# If a rank stalls or dies again, every rank dumps its recent collectives on the timeout.
+export TORCH_NCCL_DUMP_ON_TIMEOUT=1
+export TORCH_NCCL_TRACE_BUFFER_SIZE=2000
 export OMP_NUM_THREADS=8
@@
 mkdir -p logs
+# 8 ranks x 16 loader workers x 8 prefetched pinned batches: rank 6 was SIGKILLed with no
+# traceback (host OOM killer), and the other ranks waited in ALLGATHER until the NCCL timeout.
 torchrun --standalone --nproc-per-node=8 train.py \\
   --batch-size 32 \\
-  --num-workers 16 \\
-  --prefetch-factor 8 \\
+  --num-workers 4 \\
+  --prefetch-factor 2 \\
   --pin-memory \\
*** End Patch
"""
SUM_FIX = """\
*** Begin Patch
*** Update File: check_allreduce.py
@@ def run(rank: int, world: int, backend: str) -> None:
-    expected = sum(range(world))
+    expected = sum(range(1, world + 1))  # each rank contributes rank + 1
*** End Patch
"""


def prepare(workspace: Path) -> None:
    (workspace / "logs").mkdir()
    shutil.copy(FAILED_JOB / "torchrun.log", workspace / "logs/torchrun.log")
    (workspace / "train.sh").write_text(source("distributed/train.sh"))


def finding(output: str, kind: str) -> dict:
    return next(f for f in json.loads(output)["findings"] if f["class"] == kind)


def names_rank_6(output: str) -> str | None:
    try:
        top = json.loads(output)["findings"][0]
        timeout = finding(output, "collective_timeout")
    except (ValueError, KeyError, IndexError, StopIteration) as exc:
        return f"not the diagnosis expected: {exc!r}"
    if (top["class"], top["ranks"][:1], timeout["ranks"][:1]) != ("rank_crash", [6], [6]):
        return f"expected rank_crash with culprit rank 6, got {top['class']} {top['ranks']}"
    if not any("OOM killer" in fix for fix in top["fixes"]):
        return "the rank_crash fixes do not mention the OOM killer"
    return None


STEPS = [
    "Diagnose the logs: which rank failed first, and why",
    "Fix the launch script",
    "Validate collectives at world size 8 with an all-reduce smoke test",
]


DIAGNOSIS = (
    "The NCCL timeout is a symptom. **Rank 6 died first**: torchrun reports it was SIGKILLed "
    "(exit -9) at 23:40:01 with no Python traceback; ranks 0-5 and 7 then waited in ALLGATHER "
    "SeqNum 77 until the 10-minute watchdog fired at 23:50:00. A SIGKILL without a traceback is "
    "almost always the host OOM killer. Let me look at the launch script."
)
SUMMARY = """\
**Cause.** Not the network: rank 6 was SIGKILLed at 23:40:01 (torchrun: exit -9, no traceback)
and the seven other ranks blocked in ALLGATHER #77 until the NCCL watchdog timeout (600 s) at
23:50:00. A SIGKILL with no traceback is the host OOM killer's signature; `train.sh` starts
8 ranks x 16 dataloader workers, each keeping 8 pinned batches in flight.

**Fix** (`train.sh`):
- `--num-workers 16 -> 4`, `--prefetch-factor 8 -> 2`: about 16x fewer batches held in host memory.
- `TORCH_NCCL_DUMP_ON_TIMEOUT=1`, `TORCH_NCCL_TRACE_BUFFER_SIZE=2000`: if a rank stalls again,
  every rank dumps its last collectives, so the culprit shows up in the logs.

**Validated here:** `check_allreduce.py` runs an all-reduce with the job's world size (8 ranks;
gloo on this CPU-only machine, NCCL where 8 GPUs are visible): every rank got 36 = 1+...+8.
(Its first run reported WRONG on every rank: the expected value in the check was off by one.)

**On gpu-d01:** confirm with `dmesg -T | grep -iE 'oom|killed process'`, run
`python check_allreduce.py` there (it uses NCCL on 8 GPUs), then `bash train.sh` and keep
`kodo diagnose logs/` handy if it fails again. I could not verify the memory fix itself
without the node."""


def script(session: Session) -> list:
    return [
        Reply(
            text="A distributed job failure: loading the distributed-debugging skill.",
            tool_calls=[Call("load_skill", {"name": "distributed-debugging"})],
        ),
        session.after(
            contains("# Skill: distributed-debugging", "culprit"),
            Reply(tool_calls=[plan(STEPS, 0), Call("list_dir", {"path": "."})]),
        ),
        session.after(
            contains("logs", "train.sh"),
            Reply(tool_calls=[Call("diagnose", {"paths": ["logs"]})]),
        ),
        session.after(
            names_rank_6,
            Reply(text=DIAGNOSIS, tool_calls=[Call("read_file", {"path": "train.sh"})]),
        ),
        session.after(
            contains("--num-workers 16", "--prefetch-factor 8"),
            Reply(
                text=(
                    "Cutting host memory per rank: fewer loader workers and a smaller prefetch; "
                    "and turning on the NCCL flight recorder dump for next time."
                ),
                tool_calls=[
                    plan(STEPS, 1),
                    Call("apply_patch", {"patch": LAUNCH_FIX}),
                    Call("shell", {"command": ["bash", "-n", "train.sh"]}),
                ],
            ),
        ),
        session.after(
            contains("exit code 0"),
            Reply(
                text=(
                    "Now a smoke test of the communication path with the same world size (8). "
                    "No GPUs here, so it uses gloo on CPU; NCCL where 8 GPUs are visible."
                ),
                tool_calls=[
                    plan(STEPS, 2),
                    Call(
                        "apply_patch",
                        {
                            "patch": patch_add(
                                {"check_allreduce.py": source("distributed/check_allreduce.py")}
                            )
                        },
                    ),
                    Call("shell", {"command": CHECK}),
                ],
            ),
        ),
        session.after(
            contains("sum 36 expected 28 WRONG"),
            Reply(
                text=(
                    "All 8 ranks joined and agree on 36, so the collective works; the check "
                    "itself is wrong. Each rank contributes `rank + 1`, so the sum is 1+...+8 = 36,"
                    " not `sum(range(8))` = 28."
                ),
                tool_calls=[Call("apply_patch", {"patch": SUM_FIX})],
            ),
        ),
        session.after(succeeded, Reply(tool_calls=[Call("shell", {"command": CHECK})])),
        session.after(contains("all 8 ranks agree"), Reply(text=SUMMARY)),
    ]


def test_nccl_timeout_diagnosed_launch_fixed_and_validated(tmp_path: Path) -> None:
    prepare(tmp_path)
    session = Session()
    with ScriptedOpenAIServer(script(session)) as srv:
        run = run_kodo(exec_args(srv.base_url, PROMPT), cwd=tmp_path)
    assert session.problems == []
    assert run.returncode == 0, run.stderr
    assert run.of_type("session_completed")[0]["status"] == "completed"

    diagnosis = next(r for r in run.tool_results if r["name"] == "diagnose")
    assert json.loads(diagnosis["output"])["findings"][0]["class"] == "rank_crash"
    seen = next(text for text in session.seen if text == diagnosis["output"])
    assert json.loads(seen)["findings"][0]["ranks"][0] == 6
    assert finding(seen, "collective_timeout")["ranks"][0] == 6

    launch = (tmp_path / "train.sh").read_text()
    assert "--num-workers 4 \\" in launch and "--num-workers 16" not in launch
    assert "--prefetch-factor 2 \\" in launch
    assert "export TORCH_NCCL_DUMP_ON_TIMEOUT=1" in launch
    assert subprocess.run(["bash", "-n", tmp_path / "train.sh"]).returncode == 0

    checks = [r for r in run.tool_results if "check_allreduce" in command_of(r)]
    assert [r["detail"]["exit_code"] for r in checks] == [1, 0]
    assert checks[0]["output"].count("sum 36 expected 28 WRONG") == 8
    assert sorted(int(rank) for rank, _ in RANK_OK.findall(checks[1]["output"])) == list(range(8))
