"""The sample of MNIST shipped with the app (base_sample_mnist.npz, written by tools/make_base_sample.py):
what "Teach the model our handwriting" mixes in, and measures before and after on, where MNIST itself is
not on disk (a fresh install, offline). Only MNIST has one: the shipped class models all start from it."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from .. import datasets
from ..datasets.base import DIGITS

FILE = Path(__file__).resolve().parent / "base_sample_mnist.npz"
DATASET = "mnist"
CLASSES = list(DIGITS)
TRAIN_PER_CLASS = 600  # 6,000 training images: above what a class of 500 drawings mixes in (BASE_PER_DRAWING)
TEST_PER_CLASS = 200   # 2,000 test images for the before/after row


def available(name: str) -> bool:
    return name == DATASET and FILE.is_file()


def load(name: str) -> Optional[tuple[datasets.Split, datasets.Split]]:
    """(train, test) of the shipped sample of dataset `name`, or None when there is none."""
    if not available(name):
        return None
    with np.load(FILE) as f:
        return datasets.Split(f["train_x"], f["train_y"].astype(np.int64)), datasets.Split(
            f["test_x"], f["test_y"].astype(np.int64))
