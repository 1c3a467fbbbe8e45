"""The class's drawings, `class-drawings`: the 28x28 inputs the students sent (every class session, kept in
the class database, core/classroom/store.py), labelled with what they meant. Its test part holds out whole
students, never single drawings, so the test figure says how the model reads the handwriting of children it
never learned from. (Fine-tuning on it mixes in the model's own data: core/classroom/dataset.py.)"""
from __future__ import annotations

import hashlib
from typing import Optional

import numpy as np

from ..errors import DatasetMissing
from ..progress import Progress
from .base import DIGITS, UPPER, Dataset, Source, Split
from .emnist import CLASSES as EMNIST_CLASSES

NAME = "class-drawings"
TITLE = "The class's drawings"
HELD_OUT_FRACTION = 0.2  # of the students (at least one)


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


class ClassDrawings(Source):
    """Not files but the class database: its status and version come from there."""

    def load(self, progress: Progress = None, download: bool = True) -> Dataset:
        from ..classroom.store import ClassStoreError, open_store

        try:
            rows = open_store().drawings(all_sessions=True)
        except ClassStoreError as exc:
            raise DatasetMissing(str(exc)) from None
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

    def status(self) -> Optional[dict]:
        from ..classroom.store import ClassStoreError, open_store

        try:
            store = open_store()
            n = store.count(all_sessions=True)
            students = len({d.student for d in store.drawings(all_sessions=True)}) if n else 0
            usable = students >= 2
            state = "complete" if usable else "missing"
            how = (f"{n:,} drawings by {students} student(s) in the class database ({store.shown_url})"
                   + ("" if usable else "; it needs drawings by at least 2 students"))
            where = store.shown_url
            present = [f"class database: {n} drawings"]  # changes with every send: the Datasets page reloads it
        except ClassStoreError as exc:
            state, usable, how, where, present = "missing", False, str(exc), "", []
        return {"name": NAME, "title": TITLE, "state": state, "usable": usable, "how": how, "present": present,
                "missing": [], "folder": where, "data_dir": where, "source": "the Draw page's Send to the class, "
                "python -m core class add / import", "download": "none needed"}

    def on_disk(self) -> bool:
        return self.status()["usable"]


SOURCES = [ClassDrawings(NAME, TITLE, "mnist", (), "the class database")]
