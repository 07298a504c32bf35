"""Data-parallel training of a small CNN on scikit-learn's bundled 8x8 digits, one process per
Slurm task (``srun``), gloo on CPU, NCCL on GPUs.

Rank and world size come from Slurm (SLURM_PROCID, SLURM_NTASKS), the rendezvous from
MASTER_ADDR and MASTER_PORT. Rank 0 prints one JSON line per epoch and the held-out metrics
last.
"""

import argparse
import json
import os
import time
from datetime import timedelta

import torch
import torch.distributed as dist
from sklearn.datasets import load_digits
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset


class DigitsCNN(nn.Module):
    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, 64),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(64, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def split(seed: int) -> dict[str, TensorDataset]:
    """A fixed 70/15/15 split, normalised with training statistics; the same on every rank."""
    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(digits.target, dtype=torch.long)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed)).tolist()
    n = int(len(labels) * 0.15)
    parts = {"test": order[:n], "val": order[n : 2 * n], "train": order[2 * n :]}
    mean, std = images[parts["train"]].mean(), images[parts["train"]].std()
    return {k: TensorDataset((images[i] - mean) / std, labels[i]) for k, i in parts.items()}


@torch.no_grad()
def accuracy(model: nn.Module, data: TensorDataset, device: torch.device) -> float:
    model.eval()
    x, y = (t.to(device) for t in data.tensors)
    return (model(x).argmax(1) == y).float().mean().item()


def rendezvous(rank: int, world: int, backend: str, timeout_s: float) -> None:
    """The TCP store at MASTER_ADDR:MASTER_PORT; an unreachable one fails within
    ``timeout_s`` instead of the default 30 minutes."""
    store = dist.TCPStore(
        os.environ["MASTER_ADDR"],
        int(os.environ["MASTER_PORT"]),
        world,
        is_master=rank == 0,
        timeout=timedelta(seconds=timeout_s),
    )
    dist.init_process_group(backend, store=store, rank=rank, world_size=world)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=32)  # per rank
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rendezvous-timeout", type=float, default=10.0)
    args = parser.parse_args()

    rank, world = int(os.environ["SLURM_PROCID"]), int(os.environ["SLURM_NTASKS"])
    cuda = torch.cuda.is_available()
    device = torch.device(f"cuda:{int(os.environ.get('SLURM_LOCALID', 0))}" if cuda else "cpu")
    torch.set_num_threads(int(os.environ.get("SLURM_CPUS_PER_TASK", 1)))
    rendezvous(rank, world, "nccl" if cuda else "gloo", args.rendezvous_timeout)
    torch.manual_seed(args.seed)  # the same initial weights on every rank
    sets = split(args.seed)
    model = DistributedDataParallel(DigitsCNN().to(device))
    sampler = DistributedSampler(sets["train"], world, rank, shuffle=True, seed=args.seed)
    loader = DataLoader(sets["train"], batch_size=args.batch_size, sampler=sampler)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    started = time.monotonic()
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        model.train()
        for x, y in loader:
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(x.to(device)), y.to(device))
            loss.backward()  # gradients are averaged over the ranks here
            optimizer.step()
        if rank == 0:
            val_acc = accuracy(model.module, sets["val"], device)
            line = {"epoch": epoch, "loss": round(loss.item(), 4), "val_acc": round(val_acc, 4)}
            print(json.dumps(line), flush=True)
    if rank == 0:
        metrics = {
            "val_acc": round(accuracy(model.module, sets["val"], device), 4),
            "test_accuracy": round(accuracy(model.module, sets["test"], device), 4),
            "ranks": world,
            "backend": dist.get_backend(),
            "seconds": round(time.monotonic() - started, 1),
        }
        print(json.dumps(metrics), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
