"""The bwrap command line for a session sandbox: namespaces, then mounts, in an order where
later mounts win (private /tmp, then writable binds, then masks over hidden paths)."""

from __future__ import annotations

import glob
import json
import os
import sys
from pathlib import Path

from kodo.config import Config, kodo_home

SUPERVISOR = Path(__file__).with_name("supervisor.py")


def _existing(paths: list[str], base: Path) -> list[Path]:
    out = []
    for raw in paths:
        p = Path(raw).expanduser()
        p = p if p.is_absolute() else base / p
        if os.path.lexists(p):
            out.append(Path(os.path.realpath(p)))
    return out


def gpu_devices() -> list[str]:
    """NVIDIA and DRM device nodes; driver libraries are already visible through ``/``."""
    return sorted(glob.glob("/dev/nvidia*")) + (["/dev/dri"] if os.path.isdir("/dev/dri") else [])


def writable_paths(config: Config, workspace: Path) -> list[Path]:
    if config.sandbox_mode != "workspace-write":
        return []
    return [workspace, *_existing(config.writable_roots, workspace)]


def hidden_paths(config: Config) -> list[Path]:
    return _existing([*config.hidden_paths, str(kodo_home())], Path.home())


def runtime_under_tmp() -> list[Path]:
    """The Python and the kodo package this process runs from, where they live under /tmp (a
    checkout or virtual environment there): the sandbox's /tmp is private, so they are bound
    back read-only or the supervisor, and the same interpreter in commands, could not start."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), SUPERVISOR.parent}
    return sorted(p for p in paths if Path(os.path.realpath(p)).is_relative_to("/tmp"))


def bwrap_argv(
    bwrap: str, config: Config, workspace: Path, limits: dict[str, int], control_fd: int
) -> list[str]:
    argv = [
        bwrap,
        "--die-with-parent",
        "--new-session",  # setsid: no TIOCSTI injection into kodo's terminal
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
    ]
    if not config.network_access:
        argv.append("--unshare-net")  # a fresh namespace with only its own loopback up
    argv += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for path in runtime_under_tmp():
        argv += ["--ro-bind", str(path), str(path)]
    for dev in gpu_devices():
        argv += ["--dev-bind", dev, dev]
    writable = writable_paths(config, workspace)
    for path in writable:
        argv += ["--bind", str(path), str(path)]
    if workspace not in writable:
        argv += ["--ro-bind", str(workspace), str(workspace)]  # visible even under /tmp
    for path in hidden_paths(config):
        if path.is_dir():
            argv += ["--tmpfs", str(path), "--remount-ro", str(path)]
        else:
            argv += ["--ro-bind", "/dev/null", str(path)]
    argv += ["--cap-drop", "ALL", "--chdir", str(workspace), "--"]
    argv += [sys.executable, "-I", "-S", str(SUPERVISOR), str(control_fd), json.dumps(limits)]
    return argv
