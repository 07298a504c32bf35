"""The one error a workspace snapshot raises, whichever way it is kept."""

from __future__ import annotations


class SnapshotError(Exception):
    """A snapshot could not be taken, compared or restored (git failed, the folder is too large
    to hold in memory); the message says why."""
