"""``kodo trust [PATH]``, ``kodo trust --list`` and ``kodo untrust [PATH]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kodo.config import ConfigError, kodo_home, read_project_config
from kodo.trust import TrustStore, project_config_path


def _root(arg: str | None) -> Path:
    return Path(arg or ".").expanduser().resolve()


def _list(store: TrustStore) -> int:
    entries = store.entries()
    if not entries:
        print("no trusted projects (trust one with `kodo trust PATH`)")
        return 0
    for root, entry in sorted(entries.items()):
        path = Path(root)
        try:
            now = read_project_config(path).digest if path.is_dir() else None
        except ConfigError:
            now = "unreadable"
        if not path.is_dir():
            state = "folder missing"
        elif now == entry.get("config_sha256"):
            state = "trusted"
        else:
            state = "config changed since trusted: asked again"
        print(f"{root}\t{state}\t{entry.get('trusted_at', '?')}")
    return 0


def run(args: argparse.Namespace) -> int:
    store = TrustStore(kodo_home())
    if getattr(args, "list", False):
        return _list(store)
    root = _root(args.path)
    if not root.is_dir():
        print(f"kodo: {args.path}: not a directory", file=sys.stderr)
        return 2
    try:
        project = read_project_config(root)
    except ConfigError as exc:
        print(f"kodo: {exc}", file=sys.stderr)
        return 2
    store.trust(project)
    keys = project.withheld()
    if keys:
        where = project_config_path(root)
        print(f"trusted {root}; {where} now applies: {', '.join(keys)}")
    else:
        print(f"trusted {root}")
    return 0


def run_untrust(args: argparse.Namespace) -> int:
    root = _root(args.path)
    if TrustStore(kodo_home()).untrust(root):
        print(f"untrusted {root}")
        return 0
    print(f"{root} was not trusted")
    return 0
