"""Fine-tuning on the class's drawings (the dataset itself: core/datasets/class_drawings.py).

Fine-tuning on them (`train --dataset class-drawings --init-from NAME`) mixes in the starting model's own
training data (with_base_data), so that the model learns the class's hand and forgets nothing."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .. import datasets as ds_mod
from ..datasets.class_drawings import NAME

CLASS_REPEAT = 3  # the class's drawings are seen this many times an epoch, beside the model's own data
BASE_PER_DRAWING = 4  # images of the model's own training data mixed in per class drawing (at least 2,000)
BASE_MIN = 2000


def base_dataset(bundle: str, depth: int = 0) -> Optional[str]:
    """The dataset a bundle learned from before any class drawings (through its --init-from chain)."""
    from .. import registry

    training = registry.inspect(bundle).card.get("training", {})
    name = training.get("dataset")
    if name != NAME:
        return name
    return base_dataset(training["init_from"], depth + 1) if training.get("init_from") and depth < 8 else None


def with_base_data(ds: ds_mod.Dataset, init_from: Optional[str]) -> ds_mod.Dataset:
    """For fine-tuning on the class's drawings from `init_from`: its classes and its own training images mixed
    in. Any other dataset (or no starting bundle) comes back unchanged."""
    if ds.name != NAME or not init_from:
        return ds
    from .. import registry

    bundle_classes = [str(c) for c in registry.inspect(init_from).card["classes"]]
    if not set(ds.classes[i] for i in np.unique(np.concatenate([ds.train.y, ds.test.y]))) <= set(bundle_classes):
        return ds  # labels the model does not know: plain transfer learning on the class's drawings alone
    remap = np.array([bundle_classes.index(c) if c in bundle_classes else -1 for c in ds.classes])
    train, test = ds_mod.Split(ds.train.x, remap[ds.train.y]), ds_mod.Split(ds.test.x, remap[ds.test.y])
    base_name = base_dataset(init_from)
    notes = list(ds.notes)
    xs, ys = [train.x] * CLASS_REPEAT, [train.y] * CLASS_REPEAT
    if base_name and ds_mod.on_disk(base_name):
        base = ds_mod.load(base_name, download=False)
        if list(base.classes) == bundle_classes:
            k = min(len(base.train), max(BASE_MIN, BASE_PER_DRAWING * len(train)))
            pick = np.sort(np.random.default_rng(0).choice(len(base.train), k, replace=False))
            xs.append(base.train.x[pick])
            ys.append(base.train.y[pick])
            notes.append(f"Mixed with {k:,} images of {base.title}'s training set (what {init_from} learned "
                         f"from), the class's drawings repeated {CLASS_REPEAT}x, so the model forgets nothing.")
    order = np.random.default_rng(1).permutation(sum(len(y) for y in ys))
    mixed = ds_mod.Split(np.concatenate(xs)[order], np.concatenate(ys)[order])
    return ds_mod.Dataset(ds.name, ds.title, bundle_classes, mixed, test, ds.provenance, ds.style, notes)
