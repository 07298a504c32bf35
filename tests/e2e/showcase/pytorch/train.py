"""Train a small CNN on scikit-learn's bundled 8x8 digits (no download needed).

The last line printed is a JSON object with the held-out metrics.
"""

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


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
            nn.Linear(32 * 8 * 8, 64),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(64, classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = False


def split_indices(n: int, seed: int) -> dict[str, list[int]]:
    """A fixed 70/15/15 train/val/test split, the same for every run with this seed."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    n_val = n_test = int(n * 0.15)
    return {
        "test": order[:n_test],
        "val": order[n_test : n_test + n_val],
        "train": order[n_test + n_val :],
    }


def load_split(seed: int) -> tuple[dict[str, TensorDataset], dict[str, list[int]], float, float]:
    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1)  # N, 1, 8, 8
    labels = torch.tensor(digits.target, dtype=torch.long)
    indices = split_indices(len(labels), seed)
    train = images[indices["train"]]
    mean, std = train.mean().item(), train.std().item()  # train statistics only
    sets = {
        name: TensorDataset((images[idx] - mean) / std, labels[idx])
        for name, idx in indices.items()
    }
    return sets, indices, mean, std


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, device: torch.device) -> tuple[float, float]:
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        logits = model(x)
        loss_sum += nn.functional.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(1) == y).sum().item()
        count += len(y)
    return loss_sum / count, correct / count


def overfit_one_batch(model: nn.Module, data: TensorDataset, device: torch.device) -> dict:
    """Sanity check: a correct model, loss and labels drive one batch's loss near zero."""
    x, y = (t.to(device) for t in data[:64])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(100):
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    return {"overfit_loss": round(loss.item(), 5), "batch": len(y)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/digits"))
    parser.add_argument("--overfit-one-batch", action="store_true")
    args = parser.parse_args()

    seed_everything(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    sets, indices, mean, std = load_split(args.seed)
    model = DigitsCNN().to(device)
    if args.overfit_one_batch:
        print(json.dumps(overfit_one_batch(model, sets["train"], device)))
        return

    loader = DataLoader(
        sets["train"],
        batch_size=args.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(args.seed),
    )
    val_loader = DataLoader(sets["val"], batch_size=256)
    test_loader = DataLoader(sets["test"], batch_size=256)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint = args.out / "best.pt"
    best_val, started = -1.0, time.monotonic()
    for epoch in range(1, args.epochs + 1):
        model.train()
        train_loss = 0.0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            train_loss += loss.item() * len(y)
        val_loss, val_acc = evaluate(model, val_loader, device)
        print(
            f"epoch {epoch:2d}  train_loss {train_loss / len(sets['train']):.4f}  "
            f"val_loss {val_loss:.4f}  val_acc {val_acc:.4f}",
            flush=True,
        )
        if val_acc > best_val:
            best_val = val_acc
            torch.save(
                {
                    "model": model.state_dict(),
                    "mean": mean,
                    "std": std,
                    "seed": args.seed,
                    "test_indices": indices["test"],
                    "epoch": epoch,
                },
                checkpoint,
            )

    model.load_state_dict(torch.load(checkpoint, map_location=device)["model"])
    test_loss, test_acc = evaluate(model, test_loader, device)
    metrics = {
        "test_accuracy": round(test_acc, 4),
        "test_loss": round(test_loss, 4),
        "best_val_accuracy": round(best_val, 4),
        "epochs": args.epochs,
        "train_size": len(indices["train"]),
        "test_size": len(indices["test"]),
        "device": device.type,
        "seconds": round(time.monotonic() - started, 1),
        "checkpoint": str(checkpoint),
    }
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
