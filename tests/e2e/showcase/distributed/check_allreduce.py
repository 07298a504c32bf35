"""All-reduce smoke test with the failed job's world size: every rank contributes rank + 1
and checks it gets the sum 1 + 2 + ... + world. gloo on CPU, NCCL when there are enough GPUs."""

import argparse
import os
import socket
import sys
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def run(rank: int, world: int, backend: str) -> None:
    dist.init_process_group(backend, rank=rank, world_size=world, timeout=timedelta(seconds=60))
    device = torch.device(f"cuda:{rank}" if backend == "nccl" else "cpu")
    if backend == "nccl":
        torch.cuda.set_device(device)
    value = torch.full((1024,), float(rank + 1), device=device)
    dist.all_reduce(value)
    expected = sum(range(world))
    ok = bool(torch.all(value == expected))
    verdict = "OK" if ok else "WRONG"
    line = f"rank {rank}/{world} {backend}: sum {value[0].item():g} expected {expected:g} {verdict}"
    sys.stdout.write(line + "\n")  # one write per line: the ranks share one pipe
    sys.stdout.flush()
    dist.barrier()
    dist.destroy_process_group()
    if not ok:
        sys.exit(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--world-size", type=int, default=8)
    args = parser.parse_args()
    use_nccl = torch.cuda.is_available() and torch.cuda.device_count() >= args.world_size
    backend = "nccl" if use_nccl else "gloo"
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")  # outside torchrun, set both
    os.environ.setdefault("MASTER_PORT", str(free_port()))
    if backend == "gloo":
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # one machine: loopback only
    # CUDA needs spawned workers; on CPU, fork skips re-importing torch in every rank.
    mp.start_processes(
        run,
        args=(args.world_size, backend),
        nprocs=args.world_size,
        start_method="spawn" if use_nccl else "fork",
    )
    print(f"all {args.world_size} ranks agree: all_reduce OK ({backend})")


if __name__ == "__main__":
    main()
