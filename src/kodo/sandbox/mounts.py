"""The bwrap command line for a session sandbox: namespaces, then mounts, in an order where
later mounts win (size-capped private /tmp and /dev/shm, /run masked, writable binds, .git and
.kodo read-only again, host sockets and hidden paths masked)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import sys
from pathlib import Path

from kodo.config import Config, kodo_home
from kodo.sandbox.base import SandboxUnavailable
from kodo.sandbox.limits import tmpfs_sizes
from kodo.trust import TRUST_FILE

SUPERVISOR = Path(__file__).with_name("supervisor.py")
INSTALL_HINT = (
    "bubblewrap (bwrap) is not installed, so commands cannot be sandboxed. Install it with "
    "`apt-get install bubblewrap`, or run with `--sandbox danger-full-access` to run commands "
    "without a sandbox (no protection)."
)
# Past this many single-socket masks, bwrap's start slows down (each bind costs more as the
# mount table grows: 200 take about 0.1 s), so crowded folders are masked whole instead.
MAX_SOCKET_MASKS = 64
# Replaced by the sandbox's own: host sockets there are out of reach already.
_PRIVATE_DIRS = (Path("/tmp"), Path("/dev"), Path("/proc"), Path("/sys"))


def find_bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(INSTALL_HINT)
    return path


def _within(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


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
    nvidia = sorted(f"/dev/{name}" for name in os.listdir("/dev") if name.startswith("nvidia"))
    return nvidia + (["/dev/dri"] if os.path.isdir("/dev/dri") else [])


def writable_paths(config: Config, workspace: Path) -> list[Path]:
    if config.sandbox_mode != "workspace-write":
        return []
    return [workspace, *_existing(config.writable_roots, workspace)]


def hidden_entries(config: Config) -> list[str]:
    """Every configured hidden path, ``kodo_home()`` and ``~/.kodo`` (kodo's home before
    ``KODO_HOME`` moved it, which may still hold a config with keys) as absolute paths,
    existing or not."""
    home = Path.home()
    entries = []
    for raw in [*config.hidden_paths, str(kodo_home()), "~/.kodo"]:
        path = Path(raw).expanduser()
        entries.append(str(path if path.is_absolute() else home / path))
    return list(dict.fromkeys(entries))


def hidden_paths(config: Config) -> list[Path]:
    hidden = _existing(hidden_entries(config), Path.home())
    return hidden + [p for p in linked_out_of_home() if p not in hidden]


def shown_in_hidden(config: Config) -> list[Path]:
    """Folders inside a hidden path that the model may still read (and run): the person's own
    skills, ``$KODO_HOME/skills``, whose scripts and references ``load_skill`` points to. Only
    when that folder, links resolved, lies inside ``$KODO_HOME`` and inside no other hidden
    path, so a link cannot turn it into a way to kodo's or anyone's secrets. Read-only."""
    home = Path(os.path.realpath(kodo_home()))
    skills = Path(os.path.realpath(home / "skills"))
    if skills == home or not skills.is_relative_to(home) or not skills.is_dir():
        return []
    others = [p for p in hidden_paths(config) if p != home]
    if any(skills.is_relative_to(p) or home.is_relative_to(p) for p in others):
        return []
    return [skills]


def _identity(path: str) -> tuple[int, ...] | None:
    """What a mask was made for: the inode (and the symlink's target), plus the change time of
    a file, since a freed inode number is often reused by the file written next."""
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return (st.st_dev, st.st_ino)
    return (st.st_dev, st.st_ino, st.st_ctime_ns)


def mask_state(entries: list[str]) -> dict[str, tuple[int, ...] | None]:
    """A snapshot of the hidden paths (``hidden_entries``), cheap enough to take before every
    command (one or two ``lstat`` each). A mask only covers what existed when bwrap started, and
    a host program that replaces a masked file (writes a temporary file and renames it over)
    detaches the mask inside the sandbox, so a changed snapshot means starting the sandbox
    again."""
    return {path: _identity(path) for path in entries}


def runtime_under_tmp() -> list[Path]:
    """The Python and the kodo package this process runs from, and the virtual or conda
    environment the person activated, where they live under /tmp: the sandbox's /tmp is
    private, so they are bound back read-only, or the supervisor could not start and the
    model's ``python`` would silently be another one."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), SUPERVISOR.parent}
    for name, marker in (("VIRTUAL_ENV", "pyvenv.cfg"), ("CONDA_PREFIX", "conda-meta")):
        activated = os.environ.get(name, "")  # only an environment, never /tmp itself
        if os.path.isabs(activated) and os.path.exists(os.path.join(activated, marker)):
            paths.add(Path(activated))
    under = [p for p in paths if Path(os.path.realpath(p)).is_relative_to("/tmp")]
    return sorted(p for p in under if os.path.realpath(p) != "/tmp")


def run_dirs() -> list[Path]:
    """``/run`` and a ``/var/run`` that is a folder of its own rather than a link to ``/run``:
    where the host's daemons keep their sockets (Docker, D-Bus, systemd, nscd, the per-user
    runtime folder with ssh-agent, gpg-agent and the session bus)."""
    return [Path(p) for p in ("/run", "/var/run") if os.path.isdir(p) and not os.path.islink(p)]


def _head(path: Path) -> str:
    """The first 4 KiB of a file a repository may have written, whatever its size."""
    with open(path, "rb") as f:
        return os.fsdecode(f.read(4096))


def _gitdir_targets(git_file: Path) -> list[Path]:
    """Where a ``.git`` file (a worktree or submodule) points, and that repository's common
    folder (objects, refs, hooks, config) for a worktree. Read as the filesystem's bytes, so a
    path in any encoding names the very folder git uses."""
    try:
        first = _head(git_file).splitlines()[0]
    except (OSError, IndexError):
        return []
    if not first.startswith("gitdir:"):
        return []
    gitdir = git_file.parent / first.removeprefix("gitdir:").strip()
    out = [gitdir]
    try:
        common = _head(gitdir / "commondir").strip()
    except OSError:
        return out
    if common:
        out.append(gitdir / common)
    return out


def protected_paths(config: Config, workspace: Path) -> list[Path]:
    """Folders that programs outside the sandbox act on later, bound read-only again over the
    writable ones: the workspace's ``.kodo`` (kodo's project config) and the ``.git`` at the top
    of each writable root (hooks and config run by the person's next ``git commit``), including
    the repository a ``.git`` file points to, and that file itself (a mount point cannot be
    replaced by a repository of the command's own). Only existing ones: bwrap would create a
    missing mount point on the host."""
    roots = writable_paths(config, workspace)
    candidates = [workspace / ".kodo"]
    for root in roots:
        git = root / ".git"
        candidates += [git, *_gitdir_targets(git)] if git.is_file() else [git]
    out: list[Path] = []
    for candidate in candidates:
        if not os.path.lexists(candidate):
            continue
        real = Path(os.path.realpath(candidate))
        inside = any(real != root and real.is_relative_to(root) for root in roots)
        if inside and (real.is_dir() or real.is_file()) and real not in out:
            out.append(real)
    return out


def make_kodo_home() -> None:
    """kodo's home is masked only if it exists when bwrap starts; made first, so that no
    command can make it and plant a config (or a kept plan) for kodo to read later."""
    with contextlib.suppress(OSError):  # a read-only home: no command can make it either
        os.makedirs(kodo_home(), mode=0o700, exist_ok=True)


def pinned_folders(writable: list[Path]) -> list[Path]:
    """The folders between a writable root and kodo's home, each bound onto itself: a mount
    point cannot be renamed or removed, so no command can move one aside and make a home of its
    own in its place, with a config (or kept plans) that kodo would then read."""
    home = Path(os.path.realpath(kodo_home()))
    out: set[Path] = set()
    for root in writable:
        if home == root or not home.is_relative_to(root) or not home.is_dir():
            continue
        folder = home.parent
        while folder != root:
            out.add(folder)
            folder = folder.parent
    return sorted(out)


def home_link_in_reach(writable: list[Path]) -> Path | None:
    """A link on the way to kodo's home that lies in a folder commands may write, or None.
    The mask covers where the link points; a command could put a folder of its own in the
    link's place, with a config that kodo would read next time."""
    path = kodo_home()
    for step in [*reversed(path.parents), path]:
        if os.path.islink(step) and _within(Path(os.path.realpath(step.parent)), writable):
            return step
    return None


def linked_out_of_home() -> list[Path]:
    """Where kodo's config and trust decisions really are, when they are links out of its home
    (a config kept with the person's dotfiles): masked too, or a command in that folder could
    rewrite what kodo reads next time."""
    home = Path(os.path.realpath(kodo_home()))
    out = []
    for name in ("config.toml", TRUST_FILE):
        real = Path(os.path.realpath(home / name))
        if not real.is_relative_to(home) and os.path.exists(real):
            out.append(real)
    return out


def host_sockets() -> list[Path]:
    """Pathname unix sockets bound in kodo's network namespace (``/proc/net/unix``), resolved.
    Connecting to one needs only write permission on its inode, which a read-only mount does
    not take away, so each must be masked where the sandbox can see it."""
    try:
        with open("/proc/net/unix", encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return []
    found: set[Path] = set()
    for line in lines:
        fields = line.split(None, 7)
        if len(fields) < 8 or not fields[7].startswith("/"):
            continue  # unbound, abstract (private to the network namespace) or relative
        real = os.path.realpath(fields[7])
        try:
            if stat.S_ISSOCK(os.lstat(real).st_mode):
                found.add(Path(real))
        except OSError:
            continue
    return sorted(found)


def socket_masks(sockets: list[Path], keep: list[Path]) -> tuple[list[Path], list[Path]]:
    """(sockets to cover with ``/dev/null``, folders to cover with an empty tmpfs). Up to
    ``MAX_SOCKET_MASKS`` each socket is masked alone; past that, the folders holding the most
    are masked whole, unless one is or holds a path in ``keep`` (what the sandbox needs)."""
    by_dir: dict[Path, list[Path]] = {}
    for sock in sockets:
        by_dir.setdefault(sock.parent, []).append(sock)
    dirs: list[Path] = []
    count = len(sockets)
    for folder, members in sorted(by_dir.items(), key=lambda item: -len(item[1])):
        if count <= MAX_SOCKET_MASKS or len(members) < 2:
            break
        if any(k == folder or k.is_relative_to(folder) for k in keep) or _within(folder, dirs):
            continue
        dirs.append(folder)
        count -= len(members) - 1
    dirs = [d for d in dirs if not any(d != o and d.is_relative_to(o) for o in dirs)]
    return [s for s in sockets if not _within(s.parent, dirs)], dirs


def _mask_dir(path: Path, shown: tuple[Path, ...] = ()) -> list[str]:
    """An empty read-only folder over ``path``, with the ``shown`` folders inside it bound back
    read-only (before the remount: their mount points are made in the empty folder)."""
    binds = [arg for inner in shown for arg in ("--ro-bind", str(inner), str(inner))]
    return ["--tmpfs", str(path), *binds, "--remount-ro", str(path)]


def _mask(path: Path, shown: list[Path]) -> list[str]:
    if not path.is_dir():
        return ["--ro-bind", "/dev/null", str(path)]
    return _mask_dir(path, tuple(p for p in shown if p != path and p.is_relative_to(path)))


def bwrap_argv(
    bwrap: str,
    config: Config,
    workspace: Path,
    limits: dict[str, int],
    control_fd: int,
    proxy_fd: int | None = None,
) -> list[str]:
    """The session sandbox: bwrap running kodo's supervisor. ``proxy_fd``: the supervisor's end
    of the channel to kodo's registry proxy (``network = "registries"``), over which it hands
    each connection to its loopback port."""
    argv = sandbox_argv(bwrap, config, workspace)
    argv += [sys.executable, "-I", "-S", str(SUPERVISOR), str(control_fd), json.dumps(limits)]
    if proxy_fd is not None:
        argv.append(str(proxy_fd))
    return argv


def sandbox_argv(bwrap: str, config: Config, workspace: Path) -> list[str]:
    """bwrap's namespaces and mounts, up to the ``--`` that the command to run follows."""
    make_kodo_home()
    own_net = config.network_mode != "on"
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
    if own_net:
        argv.append("--unshare-net")  # a fresh namespace with only its own loopback up
    tmp_bytes, shm_bytes = tmpfs_sizes(config.limits)
    argv += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    # In memory, so capped: filling them must not push the host out of memory.
    argv += ["--perms", "1777", "--size", str(shm_bytes), "--tmpfs", "/dev/shm"]
    argv += ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    masked_runs = run_dirs() if own_net else []
    for path in masked_runs:
        argv += ["--tmpfs", str(path)]
    runtime = runtime_under_tmp()
    for path in runtime:
        argv += ["--ro-bind", str(path), str(path)]
    for dev in gpu_devices():
        argv += ["--dev-bind", dev, dev]
    writable = writable_paths(config, workspace)
    if (link := home_link_in_reach(writable)) is not None:
        raise SandboxUnavailable(
            f"kodo's home, {kodo_home()}, is reached through the link {link}, which lies in a "
            "folder that commands may write: a command could put a folder of its own in its "
            "place, with a config kodo would read next. Set KODO_HOME to the real folder, "
            f"{os.path.realpath(kodo_home())}, or move the link out of the writable folders."
        )
    for path in writable:
        argv += ["--bind", str(path), str(path)]
    for path in pinned_folders(writable):
        argv += ["--bind", str(path), str(path)]
    if workspace not in writable:
        argv += ["--ro-bind", str(workspace), str(workspace)]  # visible even under /tmp
    protected = protected_paths(config, workspace)
    for path in protected:
        argv += ["--ro-bind", str(path), str(path)]
    hidden = hidden_paths(config)
    shown = shown_in_hidden(config)
    files: list[Path] = []
    dirs: list[Path] = []
    if own_net:
        bound_back = [workspace, *writable, *runtime, *shown]
        exempt = [*_PRIVATE_DIRS, *masked_runs, *(p for p in hidden if p.is_dir())]
        sockets = [s for s in host_sockets() if _within(s, bound_back) or not _within(s, exempt)]
        keep = [*bound_back, *protected, *hidden, SUPERVISOR.parent, Path(sys.prefix)]
        files, dirs = socket_masks(sockets, keep)
        for path in dirs:
            argv += _mask_dir(path)
        for path in files:
            argv += ["--ro-bind", "/dev/null", str(path)]
    for path in hidden:
        argv += _mask(path, shown)
    # Binding a shown folder back brought back what lies in it: mask that again.
    for path in [*hidden, *dirs]:
        if path not in shown and _within(path, shown):
            argv += _mask(path, [])
    for path in files:
        if _within(path, shown):
            argv += ["--ro-bind", "/dev/null", str(path)]
    # Last, so that the mount points above could still be made: /dev holds only device nodes
    # (its own tmpfs would be an uncapped place to fill memory) and /run stays empty.
    argv += ["--remount-ro", "/dev"]
    for path in masked_runs:
        argv += ["--remount-ro", str(path)]
    argv += ["--cap-drop", "ALL", "--chdir", str(workspace), "--"]
    return argv
