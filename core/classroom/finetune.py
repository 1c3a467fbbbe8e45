"""'Teach the model our handwriting': fine-tune a bundle (--init-from) on the class's drawings mixed with its
own training data (datasets/class_drawings.py), then compare before and after on the held-out students' drawings
and on the model's usual test set."""
from __future__ import annotations

from .. import datasets, registry
from ..model import evaluation
from ..training.settings import CLASS_TRAIN_LAST
from ..datasets import class_drawings

EPOCHS = 3
LEARNING_RATE = 3e-4  # gentle: the model keeps what it knew


def settings_for(model: str, epochs: int = EPOCHS) -> dict:
    """The training settings (training/settings.py Settings fields) of the fine-tuning run from `model`."""
    title = registry.inspect(model).title
    return {"dataset": class_drawings.NAME, "arch": registry.arch_of(model), "init_from": model, "epochs": epochs,
            "learning_rate": LEARNING_RATE, "schedule": "constant", "drawn_eval": False, "train_last": CLASS_TRAIN_LAST,
            "name": f"{model}-class"[:80], "title": f"{title} + our class's handwriting"}


def _accuracy(model: str, split) -> float:
    p = registry.Predictor(model)
    return float((evaluation.batched(p, split.x).argmax(1) == split.y).mean())


def compare(before: str, after: str) -> dict:
    """Accuracy of both bundles on the held-out students' drawings and on `before`'s usual test set."""
    held = datasets.load(class_drawings.NAME, download=False, init_from=before).test
    out = {"held_out_students": {"n": len(held), "before": _accuracy(before, held), "after": _accuracy(after, held)}}
    base = class_drawings.base_dataset(before)
    if base and datasets.on_disk(base):
        test = datasets.load(base, download=False).test
        out["usual_test_set"] = {"dataset": base, "n": len(test), "before": _accuracy(before, test),
                                 "after": _accuracy(after, test)}
    return out
