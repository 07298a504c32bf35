"""Triage of failed distributed GPU training jobs from their logs (NCCL, c10d, Slurm, k8s)."""

from __future__ import annotations

from kodo.diagnose.api import diagnose_paths
from kodo.diagnose.model import Diagnosis, Evidence, Finding, TimelineEvent
from kodo.diagnose.reader import InputError

__all__ = ["Diagnosis", "Evidence", "Finding", "InputError", "TimelineEvent", "diagnose_paths"]
