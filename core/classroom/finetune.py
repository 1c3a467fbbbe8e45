"""'Teach the model our handwriting': fine-tune a bundle (--init-from) on one room's drawings mixed with its
own training data (datasets/class_drawings.py), then compare before and after on the held-out students' drawings
and on the model's usual test set. A room's models carry its join code (their card's training.class_room)."""
from __future__ import annotations

from typing import Optional

from .. import datasets, registry
from ..model import evaluation
from ..training.settings import CLASS_TRAIN_LAST
from ..datasets import class_drawings
from ..datasets import shipped_sample as base_sample
from .rooms import Room

EPOCHS = 3
LEARNING_RATE = 3e-4  # gentle: the model keeps what it knew


def settings_for(model: str, epochs: int = EPOCHS, room: Optional[Room] = None) -> dict:
    """The training settings (training/settings.py Settings fields) of the fine-tuning run from `model` on the drawings of
    `room` (None: the default room)."""
    title = registry.inspect(model).title
    code = None if room is None or room.is_default else room.code
    return {"dataset": class_drawings.NAME, "class_room": code, "arch": registry.arch_of(model), "init_from": model,
            "epochs": epochs, "learning_rate": LEARNING_RATE, "schedule": "constant", "drawn_eval": False,
            "train_last": CLASS_TRAIN_LAST,
            "name": (f"{model}-class" + (f"-{code.lower()}" if code else ""))[:80],
            "title": f"{title} + " + (f"{room.name}'s handwriting" if code else "our class's handwriting")}



def _accuracy(model: str, split) -> float:
    p = registry.Predictor(model)
    return float((evaluation.batched(p, split.x).argmax(1) == split.y).mean())


def compare(before: str, after: str, room: Optional[str] = None) -> dict:
    """Accuracy of both bundles on the held-out students' drawings (of the room with the join code `room`;
    None: the default room) and on `before`'s usual test set."""
    held = datasets.load(class_drawings.NAME, download=False, init_from=before, room=room).test
    out = {"held_out_students": {"n": len(held), "before": _accuracy(before, held), "after": _accuracy(after, held)}}
    base = class_drawings.base_dataset(before)
    test, what = None, base
    if base and datasets.on_disk(base):
        test = datasets.load(base, download=False).test
    elif base and base_sample.available(base):  # MNIST not downloaded: the sample shipped with the app
        test, what = base_sample.load(base)[1], f"{base} (the sample shipped with the app)"
    if test is not None:
        out["usual_test_set"] = {"dataset": what, "n": len(test), "before": _accuracy(before, test),
                                 "after": _accuracy(after, test)}
    return out
