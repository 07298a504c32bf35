"""Concrete remediation steps per failure class: what to change, and why it helps."""

from __future__ import annotations

FIXES: dict[str, list[str]] = {
    "collective_timeout": [
        "Look at the culprit rank first: the others only waited for it. Its own log (traceback, "
        "OOM, dataloader stall, uneven batches) holds the real cause.",
        "Set TORCH_NCCL_DUMP_ON_TIMEOUT=1 and TORCH_NCCL_TRACE_BUFFER_SIZE=2000 so every rank "
        "dumps its flight recorder on timeout; compare the last SeqNum per rank.",
        "Set TORCH_NCCL_DESYNC_DEBUG=1 to have the watchdog name the lagging ranks.",
        "Only raise the timeout (init_process_group(timeout=timedelta(minutes=30))) if a rank is "
        "legitimately slow (checkpoint save, eval on rank 0); otherwise it just delays the crash.",
    ],
    "rank_desync": [
        "Ranks issued different collectives at the same SeqNum: find the code path that is "
        "conditional on rank or data (e.g. `if rank == 0: all_reduce`, early `break`, uneven "
        "last batch) and make every rank run the same sequence.",
        "Use DistributedSampler(drop_last=True) or Join() so all ranks run the same number of "
        "steps.",
        "Set TORCH_DISTRIBUTED_DEBUG=DETAIL to have c10d check op type and shapes across ranks.",
    ],
    "rank_crash": [
        "Read the culprit rank's traceback first; the other ranks were torn down after it died.",
        "Decorate the entry point with torch.distributed.elastic.multiprocessing.errors.record "
        "so torchrun prints the child's traceback in the ChildFailedError summary.",
        "Exit code -9 (SIGKILL) without a traceback usually means the host OOM killer: check "
        "`dmesg -T | grep -i oom` and reduce dataloader workers / pinned memory.",
    ],
    "gpu_oom": [
        "Reduce the per-GPU batch size or enable gradient accumulation to keep the global batch.",
        "Enable activation checkpointing or FSDP/ZeRO sharding to cut per-GPU memory.",
        "Set PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to reduce fragmentation when "
        "reserved memory is much larger than allocated memory.",
        "If only one rank OOMs, look for imbalanced work on it (rank-0 eval/logging, uneven "
        "sequence lengths).",
    ],
    "cuda_error": [
        "Rerun with CUDA_LAUNCH_BLOCKING=1 (and TORCH_USE_CUDA_DSA=1) so the error points at the "
        "kernel that caused it.",
        "For Xid 48/63/64/94/95 (ECC) or 79 (fallen off the bus): drain the node, run "
        "`nvidia-smi -q -d ECC,ROW_REMAPPER` and a DCGM diag (`dcgmi diag -r 3`); reset or RMA "
        "the GPU before rescheduling.",
        "For Xid 13/31/43 (application errors): suspect out-of-bounds indexing or a custom "
        "kernel; run compute-sanitizer on a single rank.",
    ],
    "network_interface": [
        "Pin NCCL and the bootstrap to the data NIC: NCCL_SOCKET_IFNAME=<iface> (e.g. "
        "NCCL_SOCKET_IFNAME=^lo,docker0 to exclude loopback and docker bridges), and "
        "GLOO_SOCKET_IFNAME to the same interface.",
        "Check that every node can reach every other node on that interface and the NCCL ports "
        "(no firewall between nodes; `nc -zv <peer> <port>`).",
        "In Kubernetes multi-node GPU pods use hostNetwork: true (or an SR-IOV/Multus secondary "
        "network) so NCCL sees the real NICs instead of the pod overlay.",
    ],
    "ib_transport": [
        "Check link state and error counters on the named HCA/peer: `ibstat`, `ibv_devinfo`, "
        "`perfquery -x`; a flapping port or bad cable needs the node drained.",
        "IBV_WC_RETRY_EXC_ERR (status 12): the peer stopped answering (crashed rank or fabric "
        "fault); raise NCCL_IB_TIMEOUT (e.g. 22) and NCCL_IB_RETRY_CNT only after ruling out "
        "a dead peer.",
        "With RoCE, set NCCL_IB_GID_INDEX to the RoCEv2 GID (often 3) and NCCL_IB_HCA to the "
        "right devices; as a test, NCCL_IB_DISABLE=1 falls back to sockets.",
    ],
    "p2p_hang": [
        "Test with NCCL_P2P_DISABLE=1 (or NCCL_P2P_LEVEL=NVL): if the hang disappears, P2P "
        "over PCIe is broken on this host.",
        "Disable PCIe ACS on the switches / IOMMU passthrough (iommu=pt) so GPU peer-to-peer "
        "DMA is not redirected through the root complex.",
        "In VMs and containers make sure the GPUs' PCIe topology is exposed (`nvidia-smi topo "
        "-m`) and run the CUDA p2pBandwidthLatencyTest sample.",
    ],
    "nvlink_fabric": [
        "NVLink/NVSwitch fabric state is broken on this host (NVLS multicast, Fabric Manager, "
        "Xid 74): check `systemctl status nvidia-fabricmanager` and `nvidia-smi -q | grep -A3 "
        "Fabric` (State Completed, Status Success) before rescheduling.",
        "If the Fabric Manager was restarted while GPUs were in use, reset the GPUs or reboot "
        "the node; the multicast state does not recover on its own.",
        "NCCL_NVLS_ENABLE=0 avoids NVLink SHARP as a stopgap (slower all-reduce); drain and "
        "repair the node rather than running on it long-term.",
    ],
    "gpu_hardware": [
        "This is a GPU hardware fault (ECC, fallen off the bus, row-remap failure), not a code "
        "bug: drain the node and run `nvidia-smi -q -d ECC,ROW_REMAPPER` and `dcgmi diag -r 3`.",
        "Reset the GPU (or reboot) to clear pending retirements; if errors return on the same "
        "GPU, RMA it. Exclude the node (--exclude / a taint) until it passes diagnostics.",
        "Restart the job from its last checkpoint on healthy nodes; the other ranks only failed "
        "because this GPU did.",
    ],
    "shm_exhausted": [
        "Give the job more /dev/shm: `docker run --shm-size=16g` (or --ipc=host); in Kubernetes "
        "mount an emptyDir with medium: Memory at /dev/shm.",
        "As a stopgap NCCL_SHM_DISABLE=1 moves intra-node traffic off shared memory (slower).",
        "Reduce DataLoader num_workers if worker processes also fill /dev/shm.",
    ],
    "version_mismatch": [
        "Run the same container image (same PyTorch, NCCL and CUDA) on every node; compare "
        "`python -c 'import torch; print(torch.__version__, torch.cuda.nccl.version())'`.",
        "'named symbol not found' / 'no kernel image is available': the NCCL or PyTorch build "
        "has no kernels for this GPU architecture; install a build (or rebuild NCCL with "
        "NVCC_GENCODE) that includes the GPU's sm_XX.",
        "Net plugins and drivers must match too: the same libnccl-net.so (e.g. HPC-X/SHARP or "
        "aws-ofi-nccl) and the same driver version on every host.",
        "Make sure no node picks up a different libnccl via LD_LIBRARY_PATH or NCCL plugins.",
        "Upgrade the GPU driver if the CUDA runtime is newer than the driver supports.",
    ],
    "rendezvous_failure": [
        "Check MASTER_ADDR/MASTER_PORT (or --rdzv-endpoint) resolve and are reachable from every "
        "node: `nc -zv $MASTER_ADDR $MASTER_PORT`.",
        "EADDRINUSE: pick a free port or wait for the previous job's store to exit.",
        "If some nodes start late, raise --rdzv-conf timeout=1800 or the store timeout; make "
        "sure --nnodes matches the nodes actually launched.",
    ],
    "slurm_time_limit": [
        "Request more time (#SBATCH --time=...) or checkpoint and resume across jobs.",
        "Send a warning signal before the limit (#SBATCH --signal=B:USR1@300) and save a "
        "checkpoint in the handler.",
        "If the job hung before the limit, look at the collective-timeout findings: a hang "
        "burns the whole allocation.",
    ],
    "slurm_oom": [
        "The cgroup killed the task for host memory, not GPU memory: raise --mem / --mem-per-gpu "
        "or lower DataLoader workers, prefetch and pinned-memory buffers.",
        "Check `sacct -j <job> -o JobID,MaxRSS,ReqMem,State` to see the real peak.",
    ],
    "slurm_node_fail": [
        "The node died under the job: exclude it (--exclude=<node>) and report it to the admins.",
        "Use --requeue and checkpointing so the job restarts on healthy nodes.",
    ],
    "slurm_task_failure": [
        "Open the log of the first task that exited non-zero; srun killed the others after it.",
        "Use `srun --kill-on-bad-exit=1` and per-task output (-o %x-%j-%t.out) to isolate the "
        "failing rank.",
        "Preempted jobs: add --requeue and resume from the last checkpoint.",
    ],
    "k8s_oom_killed": [
        "Raise the container's resources.limits.memory, or lower DataLoader workers and "
        "host-side buffers; the kubelet kills at the limit (exit code 137).",
        "For multi-GPU pods also mount /dev/shm as an emptyDir with medium: Memory and a "
        "sizeLimit, since shm counts towards the memory limit.",
    ],
    "k8s_crashloop": [
        "Read the previous container's log: `kubectl logs <pod> --previous`; the crash reason "
        "is there, not in the events.",
        "Check the last state's exit code in `kubectl describe pod` (137 OOM/kill, 139 segfault, "
        "1 application error).",
        "Multi-node NCCL pods: mount /dev/shm as an emptyDir (medium: Memory) and use "
        "hostNetwork: true or a secondary RDMA network, or NCCL crashes on the 64 MB default shm "
        "and the overlay network.",
    ],
    "k8s_image_pull": [
        "Check the image name and tag exist, and that imagePullSecrets grant access to the "
        "registry.",
        "For large training images pre-pull them on the GPU nodes or use a registry mirror.",
    ],
    "k8s_scheduling": [
        "Not enough free GPUs (nvidia.com/gpu) or no node matches the selectors/taints: lower "
        "the request, add tolerations, or wait for capacity.",
        "Check the NVIDIA device plugin is running on the GPU nodes "
        "(`kubectl describe node | grep nvidia.com/gpu`).",
        "Multi-node jobs: use gang scheduling (Kueue, Volcano) so all pods start together.",
    ],
    "k8s_evicted": [
        "The node ran low on a resource (memory, ephemeral-storage): set requests equal to "
        "limits (Guaranteed QoS) and write checkpoints/logs to a volume, not the container fs.",
        "Mount /dev/shm as an emptyDir with medium: Memory and a sizeLimit so it is accounted.",
    ],
    "unknown": [
        "Rerun with NCCL_DEBUG=INFO, TORCH_DISTRIBUTED_DEBUG=DETAIL and "
        "TORCH_NCCL_DUMP_ON_TIMEOUT=1 and feed all rank logs to `kodo diagnose` again.",
        "Collect dmesg (Xid), the scheduler's view (sacct / kubectl describe) and every rank's "
        "log, not just rank 0.",
    ],
}
