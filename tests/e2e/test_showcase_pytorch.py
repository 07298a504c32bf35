"""Showcase: ``kodo exec "Train an image classification model using PyTorch"``.

The scripted model loads the pytorch-training skill, writes a seeded CNN trainer for
scikit-learn's bundled 8x8 digits, runs the skill's overfit-one-batch sanity check, reads the
shape mismatch in the traceback (the classifier expected 8x8 maps after a 2x2 pool), fixes it,
then trains and reports held-out metrics as a final JSON line. The test re-evaluates the saved
checkpoint on its own.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.e2e.harness import command_of, exec_args, run_kodo
from tests.e2e.showcase.session import (
    PY,
    Session,
    contains,
    final_json,
    patch_add,
    plan,
    source,
    succeeded,
)
from tests.fakes.openai_server import ScriptedOpenAIServer
from tests.fakes.script import Call, Reply

PROMPT = "Train an image classification model using PyTorch"
SHAPE_ERROR = "mat1 and mat2 shapes cannot be multiplied (64x512 and 2048x64)"
FIX = """\
*** Begin Patch
*** Update File: train.py
@@ class DigitsCNN(nn.Module):
-            nn.Linear(32 * 8 * 8, 64),
+            nn.Linear(32 * 4 * 4, 64),  # MaxPool2d(2) halves the 8x8 maps to 4x4
*** End Patch
"""
OVERFIT = [PY, "train.py", "--overfit-one-batch"]
TRAIN = [PY, "train.py", "--epochs", "15", "--seed", "0", "--out", "runs/digits"]


def metric_check(key: str, ok: str, bound: float):
    def check(output: str) -> str | None:
        try:
            value = float(final_json(output)[key])
        except (ValueError, KeyError, TypeError) as exc:
            return f"no {key} on the last line of the output ({exc!r})"
        good = value < bound if ok == "below" else value >= bound
        return None if good else f"{key} {value} is not {ok} {bound}"

    return check


STEPS = [
    "Check torch, scikit-learn and the device",
    "Write train.py: digits split 70/15/15, seeded, CNN, checkpoint, JSON metrics",
    "Sanity check: overfit one batch",
    "Train and report held-out accuracy",
]


def summary(output: str) -> Reply:
    m = final_json(output)
    return Reply(
        text=(
            f"Trained a small CNN (2 conv layers, max-pool, 2 linear layers) on scikit-learn's "
            f"8x8 digits: **test accuracy {m['test_accuracy']:.2%}** on {m['test_size']} held-out "
            f"images (best validation accuracy {m['best_val_accuracy']:.2%}, {m['epochs']} "
            f"epochs on {m['device']}, {m['seconds']} s).\n\n"
            f"- `train.py`: seeded 70/15/15 split, normalisation with training statistics, "
            f"AdamW, the best validation model checkpointed to `{m['checkpoint']}` with the "
            f"normalisation and the test indices; the last output line is JSON.\n"
            f"- The one-batch overfit check first caught a shape bug (the classifier expected "
            f"32x8x8 features, the pool leaves 32x4x4); after the fix one batch reaches a loss "
            f"near zero.\n\n"
            f"Re-run: `python train.py --epochs 15 --seed 0`."
        )
    )


def script(session: Session) -> list:
    probe = (
        "import torch, sklearn; "
        "print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), "
        "'sklearn', sklearn.__version__)"
    )
    return [
        Reply(
            text="Loading the pytorch-training skill.",
            tool_calls=[Call("load_skill", {"name": "pytorch-training"})],
        ),
        session.after(
            contains("# Skill: pytorch-training", "load_digits"),
            Reply(tool_calls=[plan(STEPS, 0), Call("shell", {"command": [PY, "-c", probe]})]),
        ),
        session.after(
            contains("exit code 0", "sklearn"),
            Reply(
                text=(
                    "torch and scikit-learn are there and the network is off, so the data is "
                    "scikit-learn's bundled digits (1797 8x8 images, no download)."
                ),
                tool_calls=[
                    plan(STEPS, 1),
                    Call(
                        "apply_patch",
                        {"patch": patch_add({"train.py": source("pytorch/train.py")})},
                    ),
                ],
            ),
        ),
        session.after(
            succeeded, Reply(tool_calls=[plan(STEPS, 2), Call("shell", {"command": OVERFIT})])
        ),
        session.after(
            contains(SHAPE_ERROR),
            Reply(
                text=(
                    "The first linear layer gets 512 features per image but expects 2048: after "
                    "`MaxPool2d(2)` the 32 maps are 4x4, not 8x8. Fixing its input size."
                ),
                tool_calls=[Call("apply_patch", {"patch": FIX})],
            ),
        ),
        session.after(succeeded, Reply(tool_calls=[Call("shell", {"command": OVERFIT})])),
        session.after(
            metric_check("overfit_loss", "below", 0.05),
            Reply(
                text="One batch overfits (loss near zero): model, loss and labels are consistent.",
                tool_calls=[plan(STEPS, 3), Call("shell", {"command": TRAIN})],
            ),
        ),
        session.after(metric_check("test_accuracy", "at least", 0.9), summary),
    ]


def reevaluate(workspace: Path, checkpoint: Path) -> tuple[float, set[int], set[int]]:
    """Accuracy of the saved model on its held-out indices, computed here, not by train.py;
    and the test and train index sets of the split."""
    import torch
    from sklearn.datasets import load_digits

    spec = importlib.util.spec_from_file_location("showcase_train", workspace / "train.py")
    assert spec is not None and spec.loader is not None
    trainer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trainer)
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model = trainer.DigitsCNN()
    model.load_state_dict(saved["model"])
    model.eval()
    digits = load_digits()
    test = saved["test_indices"]
    images = torch.tensor(digits.images[test], dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(digits.target[test])
    with torch.no_grad():
        predicted = model((images - saved["mean"]) / saved["std"]).argmax(1)
    train = trainer.split_indices(len(digits.target), saved["seed"])["train"]
    return (predicted == labels).float().mean().item(), set(test), set(train)


def test_image_classifier_trained_fixed_and_checkpointed(tmp_path: Path) -> None:
    session = Session()
    with ScriptedOpenAIServer(script(session)) as srv:
        run = run_kodo(exec_args(srv.base_url, PROMPT), cwd=tmp_path)
    assert session.problems == []
    assert run.returncode == 0, run.stderr
    assert run.of_type("session_completed")[0]["status"] == "completed"

    shells = [r for r in run.tool_results if r["name"] == "shell"]
    runs = [r for r in shells if "train.py" in command_of(r)]
    assert [r["detail"]["exit_code"] for r in runs] == [1, 0, 0]
    assert SHAPE_ERROR in runs[0]["output"]
    assert final_json(runs[1]["output"])["overfit_loss"] < 0.05
    metrics = final_json(runs[2]["output"])
    assert metrics["test_accuracy"] >= 0.9
    assert metrics["test_size"] == 269

    accuracy, test, train = reevaluate(tmp_path, tmp_path / metrics["checkpoint"])
    assert len(test) == 269 and test.isdisjoint(train)
    assert accuracy >= 0.9
    assert abs(accuracy - metrics["test_accuracy"]) <= 0.01
