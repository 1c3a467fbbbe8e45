"""Fine-tuning on the class's drawings (the dataset itself: core/datasets/class_drawings.py).

Fine-tuning on them (`train --dataset class-drawings --init-from NAME`) mixes in the starting model's own
training data (with_base_data), so that the model learns the class's hand and forgets nothing."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .. import datasets as ds_mod
from ..datasets.class_drawings import NAME
from ..datasets import shipped_sample as base_sample

CLASS_REPEAT = 3  # the class's drawings are seen this many times an epoch, beside the model's own data
BASE_PER_DRAWING = 4  # images of the model's own training data mixed in per class drawing (at least 2,000)
BASE_MIN = 2000


def load(name: str, room: Optional[str] = None) -> ds_mod.Dataset:
    """The dataset `name`; for class-drawings, the drawings of the room whose join code is `room` (None: the
    default room)."""
    if name == NAME:
        from ..datasets import class_drawings

        return class_drawings.load_room(room)
    return ds_mod.load(name)


def base_dataset(bundle: str, depth: int = 0) -> Optional[str]:
    """The dataset a bundle learned from before any class drawings (through its --init-from chain)."""
    from .. import registry

    training = registry.inspect(bundle).card.get("training", {})
    name = training.get("dataset")
    if name != NAME:
        return name
    return base_dataset(training["init_from"], depth + 1) if training.get("init_from") and depth < 8 else None


def base_training_images(base_name: Optional[str], classes: list[str]) -> tuple[Optional[ds_mod.Split], str]:
    """(training images, what they are) of the dataset a model learned from: the dataset itself when it is on
    disk, else the sample shipped with the app (base_sample); (None, "") when neither is here."""
    if base_name and ds_mod.on_disk(base_name):
        base = ds_mod.load(base_name, download=False)
        if list(base.classes) == classes:
            return base.train, f"{base.title}'s training set"
    sample = base_sample.load(base_name) if base_name else None
    if sample is not None and base_sample.CLASSES == classes:
        title = ds_mod.spec(base_name).title
        return sample[0], f"a sample of {title} training images shipped with the app ({title} is not on this machine)"
    return None, ""


def missing_base_sentence(init_from: str) -> Optional[str]:
    """None when fine-tuning `init_from` can mix its own training data in; else the sentence that says, before
    the run, why not and why the result may be no better."""
    name = base_dataset(init_from)
    from .. import registry

    classes = [str(c) for c in registry.inspect(init_from).card["classes"]]
    if base_training_images(name, classes)[0] is not None:
        return None
    what = ds_mod.spec(name).title if name in ds_mod.DATASETS else "the data it learned from"
    return (f"{what} (what {init_from} learned from) is not on this machine, so the class's drawings cannot be "
            f"mixed with it: a few batches of drawings alone can make the model forget what it knew, and it may "
            f"read no better. Download {what} on the Datasets page first.")


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
    base_train, where = base_training_images(base_name, bundle_classes)
    if base_train is not None:
        k = min(len(base_train), max(BASE_MIN, BASE_PER_DRAWING * len(train)))
        pick = np.sort(np.random.default_rng(0).choice(len(base_train), k, replace=False))
        xs.append(base_train.x[pick])
        ys.append(base_train.y[pick])
        notes.append(f"Mixed with {k:,} images of {where} (what {init_from} learned from), the class's "
                     f"drawings repeated {CLASS_REPEAT}x, so the model forgets nothing.")
    else:
        notes.append(f"Trained on the class's drawings alone: {missing_base_sentence(init_from)}")
    order = np.random.default_rng(1).permutation(sum(len(y) for y in ys))
    mixed = ds_mod.Split(np.concatenate(xs)[order], np.concatenate(ys)[order])
    return ds_mod.Dataset(ds.name, ds.title, bundle_classes, mixed, test, ds.provenance, ds.style, notes)
