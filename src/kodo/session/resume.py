"""Which model a resumed session talks to: the one it was recorded with (provider, model and
server), unless the command line names another, so `kodo exec resume --last "..."` carries on
where the session left off without repeating its flags."""

from __future__ import annotations

from typing import Any

from kodo.events import SessionStarted
from kodo.session.store import RolloutNotFound, find_rollout, latest_rollout, read_events

KEYS = ("provider", "model", "base_url")


def recorded_model(resume: str) -> dict[str, str]:
    """The provider, model and base URL the session ``resume`` names (an id, a prefix of one,
    or ``--last``) last started with; empty when there is no such session (opening it will
    say so)."""
    try:
        path = latest_rollout() if resume == "--last" else find_rollout(resume)
    except RolloutNotFound:
        return {}
    starts = [e for e in read_events(path) if isinstance(e, SessionStarted)]
    if not starts:
        return {}
    last = starts[-1]
    found = {"provider": last.provider, "model": last.model, "base_url": last.base_url}
    return {key: value for key, value in found.items() if value}


def resume_flags(
    flags: dict[str, Any], overrides: list[str], profile: str | None, recorded: dict[str, str]
) -> dict[str, Any]:
    """``flags`` with the recorded values filled in where the command line (a flag, ``-c`` or
    ``-p``) chose none. Naming another provider or server drops the recorded ones: a model
    name or URL means nothing to a different service."""
    chosen = {key for key in KEYS if flags.get(key) is not None}
    chosen |= {item.split("=", 1)[0].strip() for item in overrides} & set(KEYS)
    if profile:
        chosen |= set(KEYS)
    if chosen & {"provider", "base_url"}:
        return flags
    return {**flags, **{k: v for k, v in recorded.items() if k not in chosen}}


def command_line_flags(args: Any, resume: str | None) -> dict[str, Any]:
    """The config values the command line sets (exec and the shell share these flags); for a
    session being resumed, its recorded model where the command line chose none."""
    from kodo.config import flags_from_args

    flags = flags_from_args(args)
    if resume:
        flags = resume_flags(flags, args.config, args.profile, recorded_model(resume))
    return flags
