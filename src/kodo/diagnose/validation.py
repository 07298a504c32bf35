"""Write a script that reproduces or rules out the diagnosed cause on the same shape of job."""

from __future__ import annotations

from kodo.diagnose.model import Finding

_SMOKE = """\
# all-reduce smoke test: same world size and backend as the failed job
cat > /tmp/kodo_allreduce.py <<'PY'
import os, time, datetime, torch, torch.distributed as dist
dist.init_process_group("nccl", timeout=datetime.timedelta(seconds=120))
rank, world = dist.get_rank(), dist.get_world_size()
torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
x = torch.ones(64 * 1024 * 1024 // 4, device="cuda")
for i in range(20):
    t = time.time(); dist.all_reduce(x); torch.cuda.synchronize()
    assert x[0].item() == world ** (i + 1), f"rank {{rank}}: wrong all_reduce result"
    if rank == 0: print(f"iter {{i}} ok {{time.time() - t:.3f}}s")
print(f"rank {{rank}}/{{world}} on {{os.uname().nodename}}: all_reduce OK", flush=True)
dist.destroy_process_group()
PY
export NCCL_DEBUG=INFO NCCL_DEBUG_SUBSYS=INIT,NET,ENV TORCH_NCCL_DUMP_ON_TIMEOUT=1
export TORCH_NCCL_TRACE_BUFFER_SIZE=2000 TORCH_DISTRIBUTED_DEBUG=DETAIL
torchrun --nnodes={nnodes} --nproc-per-node={nproc} \\
  --rdzv-backend=c10d --rdzv-endpoint=${{MASTER_ADDR:?}}:${{MASTER_PORT:-29500}} \\
  /tmp/kodo_allreduce.py 2>&1 | tee allreduce_smoke.log
# then: kodo diagnose allreduce_smoke.log
"""

_EXTRA = {
    "network_interface": "# compare with NCCL pinned to the data NIC:\n"
    "# NCCL_SOCKET_IFNAME=<data-nic> GLOO_SOCKET_IFNAME=<data-nic> rerun the smoke test\n",
    "ib_transport": "# fabric check on the hosts named above:\nibstat; ibv_devinfo | grep -E "
    "'state|active_mtu'\n# isolate IB: NCCL_IB_DISABLE=1 rerun the smoke test; if it passes, "
    "the fabric is at fault\n",
    "p2p_hang": "# rule P2P in or out: NCCL_P2P_DISABLE=1 rerun the smoke test on one node\n"
    "nvidia-smi topo -m\n",
    "nvlink_fabric": "systemctl status nvidia-fabricmanager; nvidia-smi -q | grep -A3 Fabric\n"
    "# rule NVLS in or out: NCCL_NVLS_ENABLE=0 rerun the smoke test\n",
    "gpu_hardware": "# on the suspect host:\nnvidia-smi -q -d ECC,ROW_REMAPPER\n"
    "dmesg -T | grep -iE 'xid|fallen off'\ndcgmi diag -r 3\n",
    "shm_exhausted": "df -h /dev/shm   # needs several GB free for NCCL and DataLoader\n",
    "version_mismatch": "# on every node:\npython -c 'import torch; print(torch.__version__, "
    "torch.version.cuda, torch.cuda.nccl.version())'; nvidia-smi --query-gpu=driver_version "
    "--format=csv,noheader\n",
    "cuda_error": "# on the suspect host:\nnvidia-smi -q -d ECC,ROW_REMAPPER | grep -iE "
    "'pending|uncorr|fail'; dmesg -T | grep -i xid\ndcgmi diag -r 3\n",
    "gpu_oom": "# memory headroom per GPU while the job runs:\nnvidia-smi --query-gpu=index,"
    "memory.used,memory.total --format=csv -l 5\n",
    "rendezvous_failure": "# reachability of the rendezvous endpoint from every node:\n"
    "nc -zv ${MASTER_ADDR:?} ${MASTER_PORT:-29500}\n",
    "slurm_oom": "sacct -j $SLURM_JOB_ID -o JobID,MaxRSS,ReqMem,State,ExitCode\n",
    "slurm_node_fail": "sinfo -R; scontrol show node <node>\n",
    "slurm_time_limit": "sacct -j $SLURM_JOB_ID -o JobID,Elapsed,Timelimit,State\n",
    "k8s_oom_killed": "kubectl describe pod <pod> | grep -A5 'Last State'; kubectl top pod\n",
    "k8s_crashloop": "kubectl logs <pod> --previous\n",
    "k8s_scheduling": "kubectl describe nodes | grep -A3 'Allocated resources'\n",
}


def validation_script(findings: list[Finding], world_size: int | None, hosts: int) -> str:
    world = world_size or 2
    nnodes = max(hosts, 1)
    nproc = max(world // nnodes, 1)
    header = (
        f"#!/usr/bin/env bash\n# kodo diagnose: validate '{findings[0].class_}'\n"
        "set -euo pipefail\n"
    )
    extra = "".join(_EXTRA.get(f.class_, "") for f in findings[:2])
    return header + extra + _SMOKE.format(nnodes=nnodes, nproc=nproc)
