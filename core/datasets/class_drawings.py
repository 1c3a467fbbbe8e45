"""The class's drawings, `class-drawings`: the 28x28 inputs the students sent (every class session of one room,
kept in the class database, core/classroom/store.py; by name, the default room's, and load_room(CODE) another
room's), labelled with what they meant. Its test part holds out whole
students, never single drawings, so the test figure says how the model reads the handwriting of children it
never learned from.

Loaded for fine-tuning a bundle on it (`datasets.load(NAME, init_from=NAME_OF_BUNDLE)`, as
`train --dataset class-drawings --init-from NAME` does), it takes the bundle's classes and mixes in the
bundle's own training images (`for_fine_tuning`), so that the model learns the class's hand and forgets
nothing."""
from __future__ import annotations

import hashlib
from typing import Optional

import numpy as np

from ..errors import DatasetMissing
from ..progress import ProgressCallback
from .base import DIGITS, UPPER, Dataset, Source, Split
from .emnist import CLASSES as EMNIST_CLASSES

NAME = "class-drawings"
TITLE = "The class's drawings"
HELD_OUT_FRACTION = 0.2  # of the students (at least one)
CLASS_REPEAT = 3  # the class's drawings are seen this many times an epoch, beside the model's own data
BASE_PER_DRAWING = 4  # images of the model's own training data mixed in per class drawing (at least 2,000)
BASE_MIN = 2000


def layout(labels: set[str]) -> list[str]:
    """The class layout the labels fit: digits, letters, EMNIST's 47 or 62, else the labels themselves."""
    for classes in (DIGITS, UPPER, EMNIST_CLASSES["bymerge"], EMNIST_CLASSES["byclass"]):
        if labels <= set(classes):
            return list(classes)
    return sorted(labels)


def held_out_students(students: set[str]) -> set[str]:
    """About a fifth of the students (at least one when there are two or more), picked by a hash of the
    nickname: the same students stay held out as the class grows."""
    if len(students) < 2:
        return set()
    k = max(1, int(round(len(students) * HELD_OUT_FRACTION)))
    return set(sorted(students, key=lambda s: hashlib.sha256(s.encode()).hexdigest())[:k])


def _room_id(store, room: Optional[str]) -> Optional[int]:
    from ..classroom.rooms import find

    return find(store, room).id if room else None


def load_room(room: Optional[str] = None) -> Dataset:
    """The drawings of every class session of the room with the join code `room` (None: the default room)."""
    from ..classroom.store import open_store
    from ..errors import HWLabError

    try:
        store = open_store()
        rows = store.drawings(all_sessions=True, room_id=_room_id(store, room))
    except HWLabError as exc:  # the database cannot be reached, or no such room
        raise DatasetMissing(str(exc)) from None
    return _dataset(rows)


def _dataset(rows) -> Dataset:
    """The dataset of these drawings: whole students held out as its test part."""
    students = {d.student for d in rows}
    if len(students) < 2:
        raise DatasetMissing(f"{TITLE}: {len(rows)} drawing(s) by {len(students)} student(s) so far; the "
                             f"dataset needs drawings by at least 2 students (its test part holds out whole "
                             f"students). Send drawings from the Draw page, or add pictures with "
                             f"`python -m core class add`.")
    classes = layout({d.label for d in rows})
    held = held_out_students(students)
    x = np.stack([d.input28 for d in rows])
    y = np.array([classes.index(d.label) for d in rows], np.int64)
    test = np.array([d.student in held for d in rows])
    styles = [d.style for d in rows]
    style = max(set(styles), key=styles.count)
    prov = (f"{len(rows):,} drawings by {len(students)} students of the class; the test part holds out "
            f"{len(held)} whole student(s) ({int(test.sum()):,} drawings), never single drawings")
    return Dataset(NAME, TITLE, classes, Split(x[~test], y[~test]), Split(x[test], y[test]), prov, style,
                   notes=["The 28x28 inputs as the model saw them when each drawing was sent.",
                          "Nicknames only: no other personal data is stored."])


def status_room(room: Optional[str] = None) -> dict:
    """What the Datasets and Train pages say of the room's drawings (None: the default room)."""
    from ..classroom.store import open_store
    from ..errors import HWLabError

    try:
        store = open_store()
        rid = _room_id(store, room)
        n = store.count(all_sessions=True, room_id=rid)
        students = len({d.student for d in store.drawings(all_sessions=True, room_id=rid)}) if n else 0
        usable = students >= 2
        state = "complete" if usable else "missing"
        how = (f"{n:,} drawings by {students} student(s) in the class database ({store.shown_url})"
               + ("" if usable else "; it needs drawings by at least 2 students"))
        where = store.shown_url
        present = [f"class database: {n} drawings"]  # changes with every send: the Datasets page reloads it
    except HWLabError as exc:
        state, usable, how, where, present = "missing", False, str(exc), "", []
    return {"name": NAME, "title": TITLE, "state": state, "usable": usable, "how": how, "present": present,
            "missing": [], "folder": where, "data_dir": where, "source": "the Draw page's Send to the class, "
            "python -m core class add / import", "download": "none needed"}


class ClassDrawings(Source):
    """Not files but the class database: its status and version come from there (the default room's)."""

    def load(self, progress: ProgressCallback = None, download: bool = True) -> Dataset:
        return load_room(None)

    def for_fine_tuning(self, ds: Dataset, init_from: Optional[str]) -> Dataset:
        """For fine-tuning `init_from` on the class's drawings: its classes and its own training images mixed
        in. Without a starting bundle, or with labels the bundle does not know (plain transfer learning on
        the class's drawings alone), `ds` comes back unchanged."""
        if not init_from:
            return ds
        from .. import registry

        bundle_classes = [str(c) for c in registry.inspect(init_from).card["classes"]]
        if not set(ds.classes[i] for i in np.unique(np.concatenate([ds.train.y, ds.test.y]))) <= set(bundle_classes):
            return ds
        remap = np.array([bundle_classes.index(c) if c in bundle_classes else -1 for c in ds.classes])
        train, test = Split(ds.train.x, remap[ds.train.y]), Split(ds.test.x, remap[ds.test.y])
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
        mixed = Split(np.concatenate(xs)[order], np.concatenate(ys)[order])
        return Dataset(ds.name, ds.title, bundle_classes, mixed, test, ds.provenance, ds.style, notes)

    def status(self) -> Optional[dict]:
        return status_room(None)

    def on_disk(self) -> bool:
        return self.status()["usable"]


def base_dataset(bundle: str, depth: int = 0) -> Optional[str]:
    """The dataset a bundle learned from before any class drawings (through its --init-from chain)."""
    from .. import registry

    training = registry.inspect(bundle).card.get("training", {})
    name = training.get("dataset")
    if name != NAME:
        return name
    return base_dataset(training["init_from"], depth + 1) if training.get("init_from") and depth < 8 else None


def base_training_images(base_name: Optional[str], classes: list[str]) -> tuple[Optional[Split], str]:
    """(training images, what they are) of the dataset a model learned from: the dataset itself when it is on
    disk, else the sample shipped with the app (shipped_sample); (None, "") when neither is here."""
    from .. import datasets
    from . import shipped_sample

    if base_name and datasets.on_disk(base_name):
        base = datasets.load(base_name, download=False)
        if list(base.classes) == classes:
            return base.train, f"{base.title}'s training set"
    sample = shipped_sample.load(base_name) if base_name else None
    if sample is not None and shipped_sample.CLASSES == classes:
        title = datasets.spec(base_name).title
        return sample[0], f"a sample of {title} training images shipped with the app ({title} is not on this machine)"
    return None, ""


def missing_base_sentence(init_from: str) -> Optional[str]:
    """None when fine-tuning `init_from` can mix its own training data in; else the sentence that says, before
    the run, why not and why the result may be no better."""
    from .. import datasets, registry

    name = base_dataset(init_from)
    classes = [str(c) for c in registry.inspect(init_from).card["classes"]]
    if base_training_images(name, classes)[0] is not None:
        return None
    what = datasets.spec(name).title if name in datasets.DATASETS else "the data it learned from"
    return (f"{what} (what {init_from} learned from) is not on this machine, so the class's drawings cannot be "
            f"mixed with it: a few batches of drawings alone can make the model forget what it knew, and it may "
            f"read no better. Download {what} on the Datasets page first.")


SOURCES = [ClassDrawings(NAME, TITLE, "mnist", (), "the class database")]
