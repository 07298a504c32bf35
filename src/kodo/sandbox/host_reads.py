"""What a computation read from the host, kept so that it can be checked again later without
running the computation again: ``kodo sandbox -- CMD`` keeps the sandbox it built (``plans.py``)
and reuses it for as long as everything that building it read still reads the same.

While a ``Recording`` is open, the ``os`` functions that read the filesystem and the machine
(``stat``, ``lstat``, ``listdir``, ``readlink``, ``access``, ``sysconf``) and ``open`` for
reading ask the host as usual and keep each answer. The computation is handed exactly what was
kept, so it cannot depend on anything a later check would not compare: stat times are zero, and
so are a folder's size and link count (they change with every file made in it); a listing is
sorted; a file is read whole, once, and only its digest is kept (a config may hold a key),
up to ``MAX_KEPT_FILE``.
``/proc/net/unix`` is handed with its socket paths alone: its other columns change with every
connection.

Any other way of reading the host that passes through here (``os.scandir``, ``os.open``, the
password database, a file opened to write, a path given as a descriptor) is let through but
leaves the recording incomplete, and an incomplete recording is not kept. Imports only what
Python starts with, since checking must cost far less than building.
"""

from __future__ import annotations

import _blake2
import builtins
import io
import os
import stat

TYPE_CHECKING = False  # typing and collections cost more to import than a check takes
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Fact = tuple[str, tuple[Any, ...], Any]
UNIX_SOCKETS = "/proc/net/unix"
_READ_MODES = frozenset({"r", "rt", "tr", "rb", "br"})
_NO_TIMES = {f"st_{t}time{unit}": zero for t in "amc" for unit, zero in (("", 0.0), ("_ns", 0))}
# Past this, a file is not kept: a workspace's ``.git`` file could be gigabytes, of which the
# code reads the first line.
MAX_KEPT_FILE = 1 << 20
_real_open = builtins.open
_real = {name: getattr(os, name) for name in ("stat", "listdir", "readlink", "access", "sysconf")}


def digest(data: bytes) -> str:
    return _blake2.blake2b(data, digest_size=20).hexdigest()


def _raise(answer: tuple[str, int | None], path: object) -> None:
    errno = answer[1] or 0
    raise OSError(errno, os.strerror(errno), path)


def _stat(path: str, follow: bool) -> tuple[Any, Any]:
    result = _real["stat"](path, follow_symlinks=follow)
    folder = stat.S_ISDIR(result.st_mode)
    kept = (
        result.st_mode,
        result.st_ino,
        result.st_dev,
        0 if folder else result.st_nlink,
        result.st_uid,
        result.st_gid,
        0 if folder else result.st_size,
    )
    return kept, os.stat_result((*kept, 0, 0, 0), _NO_TIMES)


def _listdir(path: str) -> tuple[Any, Any]:
    names = sorted(_real["listdir"](path))
    return tuple(names), names


def _readlink(path: str) -> tuple[Any, Any]:
    target = _real["readlink"](path)
    return target, target


def _access(path: str, mode: int) -> tuple[Any, Any]:
    allowed = bool(_real["access"](path, mode))
    return allowed, allowed


def _sysconf(name: str | int) -> tuple[Any, Any]:
    value = _real["sysconf"](name)
    return value, value


def socket_paths_only(table: bytes) -> bytes:
    """``/proc/net/unix`` with one line per distinct socket file and every other column zero.
    Abstract sockets (``@name``) are left out: they live in the network namespace, which no
    sandbox with its own network shares, and they come and go with every connection."""
    lines = table.splitlines()
    rows = (line.split(None, 7) for line in lines[1:])
    paths = {fields[7] for fields in rows if len(fields) == 8 and fields[7].startswith(b"/")}
    body = b"".join(b"0: 0 0 0 0 0 0 " + path + b"\n" for path in sorted(paths))
    return (lines[0] + b"\n" if lines else b"") + body


class _TooBig(Exception):
    pass


def _read(path: str) -> tuple[Any, Any]:
    with _real_open(path, "rb") as f:
        data = f.read(MAX_KEPT_FILE + 1)
    if len(data) > MAX_KEPT_FILE:
        raise _TooBig(path)
    if path == UNIX_SOCKETS:
        data = socket_paths_only(data)
    return digest(data), data


def _version(path: str) -> tuple[Any, Any]:
    """A file whose content the computation is (its own source): size, change time, inode."""
    result = _real["stat"](path)
    answer = (result.st_size, result.st_mtime_ns, result.st_ino)
    return answer, answer


_ASK: dict[str, Callable[..., tuple[Any, Any]]] = {
    "stat": _stat,
    "listdir": _listdir,
    "readlink": _readlink,
    "access": _access,
    "sysconf": _sysconf,
    "read": _read,
    "version": _version,
}


def _answer(name: str, args: tuple[Any, ...]) -> tuple[Any, Any]:
    """(what is kept, what the computation is handed) for one question; an error is kept as
    its number and handed as None."""
    try:
        return _ASK[name](*args)
    except OSError as exc:
        return ("error", exc.errno), None


def still_hold(facts: list[Fact]) -> bool:
    """Whether the host answers every kept question as it did (False for facts that are not
    questions this module asks: a damaged plan is built again, not trusted)."""
    try:
        for name, args, answer in facts:
            if name not in _ASK or _answer(name, args)[0] != answer:
                return False
    except (TypeError, ValueError, _TooBig):
        return False
    return True


def _path(value: object) -> str | None:
    """The path as text, or None where it is something a fact cannot name (a descriptor)."""
    if not isinstance(value, str | os.PathLike):
        return None
    path = os.fspath(value)
    return path if isinstance(path, str) else None


class Recording:
    """Keeps every answer the host gives while open; ``complete`` is False once something read
    the host in a way that is not kept."""

    def __init__(self) -> None:
        self.facts: list[Fact] = []
        self.complete = True
        self._saved: list[tuple[object, str, object]] = []

    def note_versions(self, paths: list[str]) -> None:
        self.facts += [("version", (path,), _answer("version", (path,))[0]) for path in paths]

    def _ask(self, name: str, *args: Any) -> Any:
        answer, handed = _answer(name, args)
        self.facts.append((name, args, answer))
        if handed is None:
            _raise(answer, args[0])
        return handed

    def _stat(self, path: Any, *, dir_fd: Any = None, follow_symlinks: bool = True) -> Any:
        text = _path(path)
        if text is None or dir_fd is not None:
            self.complete = False
            return _real["stat"](path, dir_fd=dir_fd, follow_symlinks=follow_symlinks)
        return self._ask("stat", text, follow_symlinks)

    def _lstat(self, path: Any, *, dir_fd: Any = None) -> Any:
        return self._stat(path, dir_fd=dir_fd, follow_symlinks=False)

    def _listdir(self, path: Any = ".") -> Any:
        text = _path(path)
        if text is None:
            self.complete = False
            return _real["listdir"](path)
        return self._ask("listdir", text)

    def _readlink(self, path: Any, *, dir_fd: Any = None) -> Any:
        text = _path(path)
        if text is None or dir_fd is not None:
            self.complete = False
            return _real["readlink"](path, dir_fd=dir_fd)
        return self._ask("readlink", text)

    def _access(self, path: Any, mode: int, **kwargs: Any) -> Any:
        text = _path(path)
        if text is None or kwargs:
            self.complete = False
            return _real["access"](path, mode, **kwargs)
        return self._ask("access", text, mode)

    def _sysconf(self, name: str | int) -> Any:
        return self._ask("sysconf", name)

    def _open(
        self,
        file: Any,
        mode: str = "r",
        buffering: int = -1,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
        closefd: bool = True,
        opener: Any = None,
    ) -> Any:
        text = _path(file)
        if text is not None and mode in _READ_MODES and opener is None:
            try:
                data = self._ask("read", text)
            except _TooBig:
                pass
            else:
                if "b" in mode:
                    return io.BytesIO(data)
                return io.TextIOWrapper(io.BytesIO(data), encoding, errors, newline)
        self.complete = False
        return _real_open(file, mode, buffering, encoding, errors, newline, closefd, opener)

    def _untracked(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.complete = False
            return real(*args, **kwargs)

        return call

    def __enter__(self) -> Recording:
        import pwd

        replaced: list[tuple[object, str, object]] = [
            (os, "stat", self._stat),
            (os, "lstat", self._lstat),
            (os, "listdir", self._listdir),
            (os, "readlink", self._readlink),
            (os, "access", self._access),
            (os, "sysconf", self._sysconf),
            (os, "scandir", self._untracked(os.scandir)),
            (os, "open", self._untracked(os.open)),
            (pwd, "getpwnam", self._untracked(pwd.getpwnam)),  # ~user in a path
            (pwd, "getpwuid", self._untracked(pwd.getpwuid)),
            (builtins, "open", self._open),
            (io, "open", self._open),
        ]
        for owner, name, wrapper in replaced:
            self._saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, wrapper)
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()
