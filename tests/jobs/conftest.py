"""Real clusters on this machine: a single-node Slurm (Debian's slurm-wlm and munge, daemons
started here with a private config, ports and state directory) and a local Ray head with its
job server. Each is started once per test session and torn down with every process it began."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def client_env() -> dict[str, str]:
    """What the job backends run the clients with, minus auth for the test Ray head."""
    return {**os.environ, "RAY_AUTH_MODE": "disabled"}


SLURM_BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo", "scancel")
# at least two, so a 2-task (2-rank) job starts on a small machine too; slurmd takes the
# configured count (config_overrides) rather than draining a node with fewer cores
NODE_CPUS = max(os.cpu_count() or 1, 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed; scripts/test.sh installs it")
    pytest.skip(f"{what} is not installed (scripts/test.sh installs it)")


def _wait(check, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not come up within {timeout_s:.0f}s")


def _kill_pidfile(path: Path) -> None:
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def slurm_conf(root: Path, host: str) -> str:
    return f"""ClusterName=kodotest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket={root}/munge/munge.sock
CredType=cred/munge
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
SlurmdParameters=config_overrides
NodeName={host} NodeAddr=127.0.0.1 CPUs={NODE_CPUS} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture(scope="session")
def slurm() -> Iterator[dict[str, str]]:
    """The environment under which sbatch and friends talk to the test cluster."""
    if any(shutil.which(b) is None for b in SLURM_BINARIES):
        _missing("Slurm (slurm-wlm, munge)")
    if os.geteuid() != 0:
        pytest.skip("slurmd needs root to start jobs as their user")
    root = Path(tempfile.mkdtemp(prefix="kodo-slurm-", dir="/var/tmp"))
    for sub in ("munge", "state", "spool"):
        (root / sub).mkdir()
    (root / "munge").chmod(0o700)
    key = root / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    host = socket.gethostname().split(".")[0]
    (root / "slurm.conf").write_text(slurm_conf(root, host))
    env = {**os.environ, "SLURM_CONF": str(root / "slurm.conf")}
    munge = root / "munge"
    started = [munge / "munged.pid", root / "slurmctld.pid", root / "slurmd.pid"]
    try:
        subprocess.run(
            [
                "munged",
                f"--key-file={key}",
                f"--socket={munge}/munge.sock",
                f"--pid-file={munge}/munged.pid",
                f"--log-file={munge}/munged.log",
                f"--seed-file={munge}/seed",
                "-f",
            ],
            check=True,
            env=env,
        )
        subprocess.run(["slurmctld", "-i"], check=True, env=env)
        subprocess.run(["slurmd"], check=True, env=env)

        def idle() -> bool:
            out = subprocess.run(
                ["sinfo", "-h", "-o", "%t"], env=env, capture_output=True, text=True
            )
            return out.stdout.strip() == "idle"

        _wait(idle, "the test Slurm cluster")
        yield {"SLURM_CONF": env["SLURM_CONF"], "PATH": os.environ["PATH"]}
    finally:
        for pidfile in reversed(started):
            _kill_pidfile(pidfile)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def ray_jobs() -> Iterator[str]:
    """The address of a local Ray head's job server."""
    ray_cli = Path(sys.executable).with_name("ray")
    try:
        import ray.dashboard.modules.job.sdk  # noqa: F401  (the job server needs ray[default])
    except ImportError:
        _missing("ray[default]")
    temp = Path(tempfile.mkdtemp(prefix="kodo-ray-"))
    port = free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_TMPDIR": str(temp)}
    start = [str(ray_cli), "start", "--head", f"--port={free_port()}", "--num-cpus=1"]
    start += ["--include-dashboard=true", "--dashboard-host=127.0.0.1"]
    start += [f"--dashboard-port={port}", f"--temp-dir={temp}", "--disable-usage-stats"]
    try:
        subprocess.run(start, check=True, env=env, capture_output=True, timeout=180)
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run([str(ray_cli), "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)
