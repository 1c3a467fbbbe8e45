"""'Teach the model our handwriting': fine-tune a bundle (--init-from) on the class's drawings mixed with its
own training data (dataset.with_base_data), then compare before and after on the held-out students' drawings
and on the model's usual test set."""
from __future__ import annotations

from .. import datasets, evaluation, registry
from ..train_settings import CLASS_TRAIN_LAST
from ..datasets import class_drawings
from . import dataset as class_dataset
from .cli import arch_of

EPOCHS = 3
LEARNING_RATE = 3e-4  # gentle: the model keeps what it knew


def settings_for(model: str, epochs: int = EPOCHS) -> dict:
    """The training settings (training.Settings fields) of the fine-tuning run from `model`."""
    title = registry.inspect(model).title
    return {"dataset": class_drawings.NAME, "arch": arch_of(model), "init_from": model, "epochs": epochs,
            "learning_rate": LEARNING_RATE, "schedule": "constant", "drawn_eval": False, "train_last": CLASS_TRAIN_LAST,
            "name": f"{model}-class"[:80], "title": f"{title} + our class's handwriting"}


def _accuracy(model: str, split) -> float:
    p = registry.Predictor(model)
    return float((evaluation.batched(p, split.x).argmax(1) == split.y).mean())


def compare(before: str, after: str) -> dict:
    """Accuracy of both bundles on the held-out students' drawings and on `before`'s usual test set."""
    held = class_dataset.with_base_data(datasets.load(class_drawings.NAME, download=False), before).test
    out = {"held_out_students": {"n": len(held), "before": _accuracy(before, held), "after": _accuracy(after, held)}}
    base = class_dataset.base_dataset(before)
    if base and datasets.on_disk(base):
        test = datasets.load(base, download=False).test
        out["usual_test_set"] = {"dataset": base, "n": len(test), "before": _accuracy(before, test),
                                 "after": _accuracy(after, test)}
    return out
