"""What every dataset source shares: the Split and Dataset a loader returns, the Source base class the
registry (core/datasets/__init__.py) holds, and the helpers the sources use (where files are looked
up, the seeded re-split, the checks of a loaded split, counts and samples for the pages)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from .. import config
from ..progress import ProgressCallback
from ..errors import DatasetMissing

RESPLIT_SEED = 0
RESPLIT_TEST_FRACTION = 0.2
VALIDATION_FRACTION = 0.1  # the training pipeline's default (training.Settings.validation_fraction)

DIGITS = [str(i) for i in range(10)]
UPPER = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
LOWER = [chr(c) for c in range(ord("a"), ord("z") + 1)]


@dataclass
class Split:
    x: np.ndarray  # (N, 28, 28) uint8, white ink on black, upright
    y: np.ndarray  # (N,) int64 class indices

    def __len__(self) -> int:
        return len(self.y)


@dataclass
class Dataset:
    name: str
    title: str
    classes: list[str]
    train: Split
    test: Split
    provenance: str
    style: str = "mnist"  # how drawings must be preprocessed to look like this data
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """One dataset the app knows, by name. A source module subclasses this and overrides `load`, and
    `present` / `state` when it has files; `fetch` and `download_size_mb` when it can download them."""
    name: str
    title: str
    style: str  # how drawings are preprocessed for models trained on it ("mnist" or "emnist")
    files: tuple[str, ...]  # the files it reads, relative to the data folder (for `datasets` and the pages)
    source: str  # where a user gets them
    can_download = False  # whether `fetch` gets the official files itself

    def load(self, progress: ProgressCallback = None, download: bool = True) -> Dataset:
        raise NotImplementedError

    def for_fine_tuning(self, ds: Dataset, init_from: Optional[str]) -> Dataset:
        """The loaded dataset as a model fine-tuned from the bundle `init_from` trains on it (datasets.load's
        `init_from`); most sources train as they load, the class's drawings mix in the bundle's own data."""
        return ds

    def present(self, fname: str) -> bool:
        """Whether one of `files` (its last path part) is on disk."""
        return find([fname]) is not None

    def state(self, present: list[str], missing: list[str]) -> tuple[str, bool, str]:
        """(state, usable, how), as file_status says them; this default suits sources whose files are
        all needed."""
        if not missing:
            return "complete", True, "official train and test sets"
        return "missing", False, f"get {', '.join(missing)} from {self.source}"

    def status(self) -> Optional[dict]:
        """file_status's answer for a source whose data is not files (a database); None: from its files."""
        return None

    def on_disk(self) -> bool:
        """Whether it can be read from disk now, without a download."""
        return all(self.present(f.split("/")[-1]) for f in self.files)

    def version(self) -> tuple:
        """Something that changes when its files are replaced in place (an upload over an older file); the
        set of files present is compared besides (datasets.signature)."""
        return ()

    def fetch(self, progress: ProgressCallback = None) -> None:
        """Download its official files (nothing to do for a source without files)."""

    def download_size_mb(self) -> Optional[float]:
        """About how many MB `fetch` would download now (0 when nothing is missing), None if it cannot."""
        return None


# ---------------------------------------------------------------- where files are
def folders(sub: str = "") -> list[Path]:
    """The data folder, then the download cache when it is another folder (each with `sub` appended)."""
    out = [config.data_dir() / sub]
    d = config.download_dir() / sub
    if d not in out:
        out.append(d)
    return out


def find(names: list[str], sub: str = "") -> Optional[Path]:
    """The first of `names` (relative paths) that is a file in one of `folders(sub)`."""
    for base in folders(sub):
        for n in names:
            p = base / n
            if p.is_file():
                return p
    return None


# ---------------------------------------------------------------- splits
def stratified_split(y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test): each class split in the same proportion, shuffled with `seed`."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(len(idx) * test_fraction))
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def resplit(x, y, what: str) -> tuple[Split, Split, str]:
    """A labelled set re-split with the fixed seed into (train, test, provenance sentence)."""
    tr, te = stratified_split(y, RESPLIT_TEST_FRACTION, RESPLIT_SEED)
    prov = (f"re-split of {what}: {int(RESPLIT_TEST_FRACTION * 100)}% held out as test by stratified sampling "
            f"(numpy seed {RESPLIT_SEED}); figures on it are not comparable with published results on the "
            f"official split")
    return Split(x[tr], y[tr]), Split(x[te], y[te]), prov


def check_split(split: Split, n_classes: int, what: str) -> Split:
    """A corrupt or mismatched file is said as such, not left to fail later."""
    x, y = split.x, split.y
    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
        raise DatasetMissing(f"{what}: the images file does not hold 28x28 uint8 images (shape {x.shape}); "
                             f"it is damaged or not the official file.")
    if len(x) != len(y):
        raise DatasetMissing(f"{what}: {len(x):,} images but {len(y):,} labels; the files do not belong together.")
    if len(y) and (y.min() < 0 or y.max() >= n_classes):
        raise DatasetMissing(f"{what}: labels run {y.min()}..{y.max()}, outside the {n_classes} classes "
                             f"0..{n_classes - 1}; the file is damaged or not the official one.")
    return split


def validation_count(n_train: int, fraction: float = VALIDATION_FRACTION) -> int:
    """How many training images the training pipeline holds out for validation (as training/run.py does)."""
    if fraction > 0 and n_train >= 20:
        return max(1, int(round(n_train * fraction)))
    return 0


def counts(ds: Dataset, validation_fraction: float = VALIDATION_FRACTION) -> dict:
    """Images used for training, validation (held out from train by the training pipeline) and test."""
    v = validation_count(len(ds.train), validation_fraction)
    return {"train": len(ds.train) - v, "validation": v, "test": len(ds.test)}


def class_counts(split: Split, n_classes: int) -> np.ndarray:
    return np.bincount(split.y, minlength=n_classes)[:n_classes]


def sample_indices(y: np.ndarray, n_classes: int, per_class: int, seed: int) -> list[np.ndarray]:
    """For each class, up to `per_class` random indices of its images (fewer where it has fewer)."""
    rng = np.random.default_rng(seed)
    order = np.argsort(y, kind="stable")
    starts = np.searchsorted(y[order], np.arange(n_classes + 1))
    out = []
    for c in range(n_classes):
        members = order[starts[c]:starts[c + 1]]
        k = min(per_class, len(members))
        out.append(np.sort(rng.choice(members, k, replace=False)) if k else np.zeros(0, np.int64))
    return out


def image_keys(x: np.ndarray) -> set[bytes]:
    """Each image's bytes, to tell which images two sets share (exact copies)."""
    return {im.tobytes() for im in x}
