"""Cross-rank reasoning: the culprit comes first, not the ranks that timed out waiting for it."""

from __future__ import annotations

from kodo.diagnose import diagnose_paths


def _set(data, name: str):
    return diagnose_paths([str(data / "multirank" / name)])


def _finding(d, cls: str):
    return next(f for f in d.findings if f.class_ == cls)


def test_silent_rank_is_culprit(data) -> None:
    d = _set(data, "silent_rank5_of_8")
    top = d.findings[0]
    assert top.class_ == "collective_timeout"
    assert top.ranks[0] == 5
    assert sorted(top.ranks) == list(range(8))
    assert "SeqNum 3001" in top.summary and "rank 5" in top.summary
    assert d.world_size == 8


def test_oom_rank_among_sixteen_timeouts(data) -> None:
    d = _set(data, "oom_rank11_of_16")
    assert d.findings[0].class_ == "gpu_oom"
    assert d.findings[0].ranks == [11]
    assert d.findings[0].hosts[0] == "gpu-b02"
    timeout = _finding(d, "collective_timeout")
    assert timeout.ranks[0] == 11 and len(timeout.ranks) == 16
    assert timeout.confidence < d.findings[0].confidence
    assert d.world_size == 16


def test_rank_behind_by_one_seqnum(data) -> None:
    d = _set(data, "behind_rank3_of_8")
    top = d.findings[0]
    assert top.class_ == "collective_timeout"
    assert top.ranks[0] == 3
    assert "older SeqNum 412" in top.summary


def test_torchrun_root_cause_beats_sigabrt_and_sigterm(data) -> None:
    d = _set(data, "sigkill_rank6_torchrun")
    top = d.findings[0]
    assert top.class_ == "rank_crash"
    assert top.ranks == [6]
    assert "SIGKILL" in top.summary
    assert _finding(d, "collective_timeout").ranks[0] == 6


def test_op_mismatch_names_diverging_rank(data) -> None:
    d = diagnose_paths([str(data / "rank_desync" / "op_mismatch.log")])
    assert d.findings[0].ranks[0] == 2
    assert "BROADCAST" in d.findings[0].summary


def test_timeline_is_ordered_and_starts_with_first_failure(data) -> None:
    d = _set(data, "oom_rank11_of_16")
    times = [e.time for e in d.timeline if e.time]
    assert times == sorted(times)
    assert d.timeline[0].rank == 11
    assert {e.rank for e in d.timeline} >= {0, 11, 15}
    torchrun = _set(data, "sigkill_rank6_torchrun")
    stamped = [e for e in torchrun.timeline if e.time]
    assert stamped[0].rank == 6 and stamped[0].time.startswith("2026-11-24T23:40:01")


def test_validation_script_uses_world_size(data) -> None:
    d = _set(data, "oom_rank11_of_16")
    assert "--nnodes=2 --nproc-per-node=8" in d.validation
    assert "all_reduce" in d.validation and "NCCL_DEBUG=INFO" in d.validation


def test_desync_report_lists_every_lagging_rank(data) -> None:
    d = diagnose_paths([str(data / "rank_desync" / "never_joined.log")])
    assert d.findings[0].class_ == "rank_desync"
    assert d.findings[0].ranks[:2] == [12, 13]


def test_validation_script_is_valid_bash_and_python(data, tmp_path) -> None:
    import subprocess

    d = diagnose_paths([str(data / "ib_transport" / "retry_exc.log")])
    assert "NCCL_IB_DISABLE=1" in d.validation
    script = tmp_path / "validate.sh"
    script.write_text(d.validation)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    py = d.validation.split("<<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
    compile(py, "kodo_allreduce.py", "exec")
