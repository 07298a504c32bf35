"""``kodo sandbox -- CMD`` without building the sandbox again each time.

Building the bwrap command line means reading the config and asking the host which paths
exist, what links point where and which sockets are bound; most of its cost is importing the
code that does so. So the first run keeps what it built, a *plan* (bwrap, its arguments, the
scrubbed environment, the warning it printed), together with every answer the host gave while
building it (``host_reads.py``). A later run in the same place, by the same user, with the same
environment and the same kodo, asks those questions again and, when every answer is the same,
runs the plan. Building is deterministic given those answers, so it would have built the very
same plan; any changed answer (a new ``.git``, a hidden path created, a socket bound, a config
edited, kodo upgraded) builds afresh.

A plan says what runs outside the sandbox, so none may come from a command. Plans live in
``$KODO_HOME/cache/sandbox`` (0700), inside kodo's home, which every sandbox hides (see
``mounts.make_kodo_home`` and ``mounts.pinned_folders`` for why a command cannot get around
that). They are reached from the home's real path without following a link, through folders
and into a file owned by this user and writable by no one else, or not at all. Only the
environment's digest is kept, never its values, and of the files read only their digests.
"""

from __future__ import annotations

import _signal  # not ``signal``: that imports enum, which costs more than running a plan
import marshal
import os
import stat
import sys

from kodo.home import kodo_home_path
from kodo.sandbox.host_reads import Recording, digest, still_hold

TYPE_CHECKING = False  # typing costs more to import than running a plan takes
if TYPE_CHECKING:
    from kodo.sandbox.host_reads import Fact

FORMAT = 1
MAX_PLANS = 64
Plan = tuple[str, list[str], dict[str, str]]  # bwrap, its arguments up to "--", environment


def plans_dir() -> str:
    """Inside kodo's home, which every sandbox hides."""
    return os.path.join(kodo_home_path(), *_FOLDERS)


_FOLDERS = ("cache", "sandbox")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _mine(info: os.stat_result) -> bool:
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _open_plans(make: bool) -> int | None:
    """The plans folder, reached from kodo's home without following a link and made of
    folders only this user may write; otherwise None. A link from there to a place a sandbox
    may write would let a command plant a plan."""
    try:
        fd = os.open(os.path.realpath(kodo_home_path()), _DIR_FLAGS)
    except OSError:
        return None
    try:
        for name in _FOLDERS:
            if make and name not in os.listdir(fd):
                os.mkdir(name, 0o700, dir_fd=fd)
            inner = os.open(name, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = inner
            if not _mine(os.fstat(fd)):
                break
        else:
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def environment() -> dict[str, str]:
    """The environment a plan is built from: kodo's, less ``_``, which the person's shell sets
    to the program it started (``kodo``, ``python``) and which would tell runs apart for
    nothing. The command is not handed it either."""
    return {name: value for name, value in os.environ.items() if name != "_"}


def _key() -> str | None:
    """Everything a plan depends on that is not asked of the host while building it,
    including which kodo reads it (another checkout would build its own)."""
    if not os.environ.get("HOME"):
        return None  # the home folder would come from the password database, not kept
    try:
        cwd = os.getcwd()
    except OSError:
        return None
    parts = (
        FORMAT,
        __file__,
        sys.executable,
        sys.version,
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        os.getuid(),
        os.getgid(),
        cwd,
        sorted(environment().items()),
    )
    return digest(repr(parts).encode())


def _load(key: str) -> tuple[list[Fact], str | None, Plan] | None:
    folder = _open_plans(make=False)
    if folder is None:
        return None
    try:
        fd = os.open(key, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(fd)
            if not (_mine(info) and stat.S_ISREG(info.st_mode)):
                return None
            fmt, stored_key, facts, warning, bwrap, argv, env = marshal.loads(f.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    finally:
        os.close(folder)
    if fmt != FORMAT or stored_key != key:
        return None
    return facts, warning, (bwrap, argv, env)


def _executable(path: str) -> bool:
    return os.access(path, os.X_OK) and not os.path.isdir(path)


def findable(name: str, search_path: str) -> bool:
    """What ``shutil.which`` would find, without importing it."""
    if os.path.dirname(name):
        return _executable(name)
    return bool(search_path) and any(
        _executable(os.path.join(folder, name)) for folder in search_path.split(os.pathsep)
    )


def become(plan: Plan, cmd: list[str]) -> str:
    """Returns only when the command cannot start (what to tell the person); otherwise this
    process becomes bwrap running ``cmd``."""
    bwrap, argv, env = plan
    if not findable(cmd[0], env.get("PATH", os.defpath)):
        return f"{cmd[0]}: command not found"  # bwrap would fail too, but exit 1
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None: kodo was started with that descriptor closed
            stream.flush()
    # Python ignores these at start; ignored stays ignored across exec, so ``yes | head``
    # would see EPIPE instead of dying quietly as it does outside kodo.
    for name in ("SIGPIPE", "SIGXFSZ"):
        _signal.signal(getattr(_signal, name), _signal.SIG_DFL)
    try:
        os.execve(bwrap, [*argv, *cmd], env)
    except OSError as exc:
        return f"{bwrap}: {exc.strerror}"


def run_remembered(cmd: list[str]) -> None:
    """Becomes bwrap running ``cmd`` when a plan for this place is kept and still holds;
    returns otherwise, having printed nothing, for the plan to be built."""
    key = _key()
    kept = _load(key) if key else None
    if kept is None:
        return
    facts, warning, plan = kept
    if not findable(cmd[0], plan[2].get("PATH", os.defpath)) or not still_hold(facts):
        return
    if warning:
        print(warning, file=sys.stderr)
    become(plan, cmd)


def _kodo_sources() -> list[str]:
    """The files of kodo's own code loaded so far: the code that built the plan."""
    return sorted(
        str(module.__file__)
        for name, module in list(sys.modules.items())
        if (name == "kodo" or name.startswith("kodo.")) and getattr(module, "__file__", None)
    )


def remember(recording: Recording, warning: str | None, plan: Plan) -> None:
    """Keeps ``plan`` when the recording saw everything it was built from. A plan that cannot
    be written is no error: the next run builds it again."""
    import contextlib

    key = _key()
    if key is None or not recording.complete:
        return
    recording.note_versions(_kodo_sources())
    data = marshal.dumps((FORMAT, key, recording.facts, warning, *plan))
    folder = _open_plans(make=True)
    if folder is None:
        return
    partial = f".{key}.{os.getpid()}"
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        with os.fdopen(os.open(partial, flags, 0o600, dir_fd=folder), "wb") as f:
            f.write(data)
        os.replace(partial, key, src_dir_fd=folder, dst_dir_fd=folder)
        _prune(folder)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(partial, dir_fd=folder)
    finally:
        os.close(folder)


def _prune(folder: int) -> None:
    """Keeps the ``MAX_PLANS`` most recently written plans."""
    import contextlib

    names = [name for name in os.listdir(folder) if not name.startswith(".")]
    if len(names) <= MAX_PLANS:
        return
    names.sort(key=lambda name: os.stat(name, dir_fd=folder).st_mtime_ns)
    for name in names[:-MAX_PLANS]:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=folder)
