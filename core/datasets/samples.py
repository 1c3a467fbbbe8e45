"""Real handwritten examples shipped with the app, for "Try a sample" on the Draw page: a few held-out test
images of every class of a dataset, so that a student who cannot draw with a pointer still gives the model a
character (WCAG 2.1.1), offline and without the dataset's files.

One small file a dataset, `held_out/<dataset>.npz` (x: uint8 (N, 28, 28) upright, white ink on black as the
dataset's own images; y: class indices; classes), made by `tools/make_samples.py` from the dataset's test split.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import HWLabError

FOLDER = Path(__file__).with_name("held_out")
PER_CLASS = 3  # examples a class: enough for "another one" a few times, small enough to ship (a few KB a class)


class NoSample(HWLabError):
    """No shipped example for that dataset or class."""


@dataclass(frozen=True)
class Samples:
    dataset: str
    classes: list[str]
    x: np.ndarray  # (N, 28, 28) uint8
    y: np.ndarray  # (N,) class indices into `classes`

    def labels(self) -> list[str]:
        """The classes that have at least one example, in the dataset's order."""
        have = set(self.y.tolist())
        return [c for i, c in enumerate(self.classes) if i in have]

    def pick(self, label: str, turn: int) -> np.ndarray:
        """The `turn`-th example of `label` (round robin over that class's examples), (28, 28) uint8."""
        if label not in self.classes:
            raise NoSample(f"There is no class {label!r} in {self.dataset}.")
        rows = np.flatnonzero(self.y == self.classes.index(label))
        if not len(rows):
            raise NoSample(f"No example of {label} is shipped for {self.dataset}.")
        return self.x[rows[turn % len(rows)]]


def path(dataset: str) -> Path:
    return FOLDER / f"{dataset}.npz"


@functools.cache
def load(dataset: str) -> Samples | None:
    """The shipped examples of a dataset, or None when none are shipped (a dataset trained here, say)."""
    p = path(dataset)
    if not p.is_file():
        return None
    with np.load(p, allow_pickle=False) as f:
        x, y, classes = f["x"], f["y"], [str(c) for c in f["classes"]]
    x.setflags(write=False)
    return Samples(dataset, classes, x, y)


def for_model(dataset: str, classes: list[str]) -> Samples | None:
    """The examples for a model: its own dataset's, else those of a shipped dataset with the same classes (Kaggle's
    digits are MNIST's, in MNIST's style), else None."""
    own = load(dataset)
    if own is not None:
        return own
    for p in sorted(FOLDER.glob("*.npz")):
        other = load(p.stem)
        if other is not None and other.classes == list(classes):
            return other
    return None


def choose(x: np.ndarray, y: np.ndarray, n_classes: int, per_class: int = PER_CLASS) -> np.ndarray:
    """Row indices of the first `per_class` examples of each class (a test split is in no particular order)."""
    return np.concatenate([np.flatnonzero(y == k)[:per_class] for k in range(n_classes)]).astype(np.int64)


def save(dataset: str, classes: list[str], x: np.ndarray, y: np.ndarray) -> Path:
    """Write `held_out/<dataset>.npz` (compressed) with the rows `choose` picks."""
    rows = choose(y=np.asarray(y), x=x, n_classes=len(classes))
    FOLDER.mkdir(exist_ok=True)
    np.savez_compressed(path(dataset), x=np.asarray(x, np.uint8)[rows], y=np.asarray(y, np.int64)[rows],
                        classes=np.array(classes))
    load.cache_clear()
    return path(dataset)
