"""Rule and scanner units: fields extracted, line numbers exact across chunk boundaries."""

from __future__ import annotations

from kodo.diagnose import diagnose_paths, reader
from kodo.diagnose.reader import Source
from kodo.diagnose.scanner import Scanner

WATCHDOG = (
    "[rank7]:[E1124 23:10:05.123456789 ProcessGroupNCCL.cpp:616] [Rank 7] Watchdog caught "
    "collective operation timeout: WorkNCCL(SeqNum=1024, OpType=ALLREDUCE, NumelIn=262144, "
    "NumelOut=262144, Timeout(ms)=600000) ran for 600046 milliseconds before timing out."
)


def _scan(tmp_path, text: str):
    p = tmp_path / "x.log"
    p.write_text(text)
    return Scanner().scan(Source(str(p), p))


def test_watchdog_fields(tmp_path) -> None:
    (sig,) = _scan(tmp_path, WATCHDOG + "\n").signals
    assert sig.kind == "watchdog_timeout" and sig.rank == 7
    assert sig.fields == {
        "seq": "1024",
        "op": "ALLREDUCE",
        "numel_in": "262144",
        "numel_out": "262144",
        "timeout_ms": "600000",
        "ran_ms": "600046",
    }
    assert (sig.ts.month, sig.ts.day, sig.ts.second, sig.ts.microsecond) == (11, 24, 5, 123456)


def test_ib_and_slurm_fields(tmp_path) -> None:
    sigs = _scan(
        tmp_path,
        "h1:1:2 [0] NCCL WARN NET/IB : Got completion from peer 10.0.0.9<4444> with "
        "status=12 opcode=0 len=0 vendor err 129 (Recv)\n"
        "slurmstepd: error: *** JOB 42 ON n07 CANCELLED AT 2026-01-02T03:04:05 "
        "DUE TO TIME LIMIT ***\n",
    ).signals
    assert [s.kind for s in sigs] == ["ib_error", "nccl_warn", "slurm_time_limit"]
    ib, _, slurm = sigs
    assert ib.kind == "ib_error" and ib.fields["peer"] == "10.0.0.9" and ib.fields["status"] == "12"
    assert ib.host == "h1"
    assert slurm.kind == "slurm_time_limit" and slurm.host == "n07" and slurm.fields["job"] == "42"


def test_noise_lines_produce_no_signals(tmp_path) -> None:
    result = _scan(tmp_path, "step 1 loss 2.0\nError handling is fine\nroom zoom\n")
    assert result.signals == [] and result.lines == 3


def test_line_numbers_across_chunks(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(reader, "CHUNK_BYTES", 64)
    lines = [f"noise line {i} " + "x" * (i % 50) for i in range(300)]
    lines[17] = WATCHDOG
    lines[233] = "srun: error: n3: task 5: Exited with exit code 3"
    result = _scan(tmp_path, "\n".join(lines))  # no trailing newline on purpose
    assert [(s.kind, s.line) for s in result.signals] == [
        ("watchdog_timeout", 18),
        ("slurm_task_exit", 234),
    ]
    assert result.lines == 300


def test_signals_per_kind_are_capped(tmp_path) -> None:
    result = _scan(tmp_path, (WATCHDOG + "\n") * 250)
    assert len(result.signals) == 200
    assert result.dropped["watchdog_timeout"] == 50


GLOO = "RuntimeError: [enforce fail at ../third_party/gloo/gloo/transport/tcp/device.cc:{}]"


def test_gloo_names_what_it_found_no_address_for(tmp_path) -> None:
    """The interface GLOO_SOCKET_IFNAME names, the host's own name, or the address that name
    resolves to: each is what the summary and the first fix speak of."""
    cases = {
        GLOO.format(84) + " ifa != nullptr. Unable to find address for: ib0": (
            {"lookup": "ifa", "name": "ib0"},
            "GLOO_SOCKET_IFNAME names interface ib0, which this host does not have",
            "Set GLOO_SOCKET_IFNAME to an interface that exists on every node",
        ),
        GLOO.format(127) + " rp != nullptr. Unable to find address for: dgx-1.ai": (
            {"lookup": "rp", "name": "dgx-1.ai"},
            "this host's name dgx-1.ai resolves to no address it can bind",
            "Set GLOO_SOCKET_IFNAME to the interface gloo should use",
        ),
        GLOO.format(209) + " ifa != nullptr. Unable to find interface for: [0.0.12.18]": (
            {"address": "0.0.12.18"},
            "this host's name resolves to 0.0.12.18, which no local interface has",
            "Set GLOO_SOCKET_IFNAME to the interface gloo should use",
        ),
    }
    for i, (line, (fields, summary, fix)) in enumerate(cases.items()):
        sigs = [s for s in _scan(tmp_path, line + "\n").signals if s.kind == "gloo_iface"]
        assert [s.fields for s in sigs] == [fields]
        log = tmp_path / f"gloo{i}.log"
        log.write_text(line + "\n")
        top = diagnose_paths([str(log)]).findings[0]
        assert (top.class_, top.summary) == ("network_interface", f"gloo: {summary}")
        assert top.fixes[0].startswith(fix) and "`ip -br addr`" in top.fixes[0]


# Real incidents: aws-samples/aws-do-eks#69 (EKS hostNetwork pods, the node's name maps only
# to 127.0.0.1 in the pod) and vllm-project/vllm#7074 (two nodes under Ray; GLOO_SOCKET_IFNAME
# set on the launching shell never reached the Ray workers).
LOOPBACK_WARNING = (
    "[rank9]:[W ProcessGroupGloo.cpp:721] Warning: Unable to resolve hostname to a (local) "
    "address. Using the loopback address as fallback. Manually set the network interface to "
    "bind to with GLOO_SOCKET_IFNAME. (function operator())"
)
EKS_MESH = (
    "RuntimeError: Gloo connectFullMesh failed with [/pytorch/third_party/gloo/gloo/transport/"
    "tcp/pair.cc:152] timed out connecting: SO_ERROR: Connection refused, "
    "remote=[127.0.0.1]:45113 (rank=8, size=16, local=[127.0.0.1])"
)
RAY_MESH = (
    "(RayWorkerWrapper pid=1890, ip=10.41.0.8) [rank8]:[E ProcessGroupGloo.cpp:144] Gloo "
    "connectFullMesh failed with [../third_party/gloo/gloo/transport/tcp/pair.cc:144] no error"
)


def test_a_gloo_mesh_over_loopback_is_the_hosts_name_not_the_network(tmp_path) -> None:
    (mesh,) = [s for s in _scan(tmp_path, EKS_MESH + "\n").signals if s.kind == "gloo_mesh"]
    assert mesh.fields == {
        "remote": "127.0.0.1",
        "mesh_rank": "8",
        "size": "16",
        "local": "127.0.0.1",
    }
    logs = {"eks.log": EKS_MESH, "ray.log": f"{LOOPBACK_WARNING}\n{RAY_MESH}"}
    summaries = {
        "eks.log": "gloo: rank 8 of 16 could not connect its peers (local 127.0.0.1, remote "
        "127.0.0.1): a process found no address of its own for its host's name and bound "
        "loopback",
        "ray.log": "gloo: rank 8 could not connect its peers: a process found no address",
    }
    for name, text in logs.items():
        (tmp_path / name).write_text(text + "\n")
        top = diagnose_paths([str(tmp_path / name)]).findings[0]
        assert top.class_ == "network_interface" and top.confidence >= 0.88
        assert top.summary.startswith(summaries[name])
        assert top.fixes[0].startswith("Set GLOO_SOCKET_IFNAME to the interface the nodes")
        assert "not only where the job is launched" in top.fixes[0]


def test_the_loopback_warning_alone_does_not_outrank_the_real_failure(tmp_path) -> None:
    """On one node the fallback is harmless: a rank that ran out of memory is the verdict."""
    oom = (
        "[rank0]: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 "
        "has a total capacity of 79.15 GiB of which 1.05 GiB is free."
    )
    log = tmp_path / "one-node.log"
    log.write_text(f"{LOOPBACK_WARNING}\n{oom}\n")
    findings = diagnose_paths([str(log)]).findings
    assert findings[0].class_ == "gpu_oom"
    assert all(f.confidence < 0.5 for f in findings if f.class_ == "network_interface")


def test_a_gloo_mesh_failure_between_real_addresses_is_only_a_network_hint(tmp_path) -> None:
    mesh = EKS_MESH.replace("127.0.0.1", "10.41.0.8")
    log = tmp_path / "mesh.log"
    log.write_text(mesh + "\n")
    top = diagnose_paths([str(log)]).findings[0]
    assert (top.class_, top.confidence) == ("network_interface", 0.7)
    assert "loopback" not in top.summary
