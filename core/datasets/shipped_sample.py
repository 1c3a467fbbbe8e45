"""The sample of MNIST shipped with the app (mnist_sample.npz, written by tools/make_base_sample.py):
what "Teach the model our handwriting" mixes in and measures before and after on, and what the nearest
training examples are searched in, where MNIST itself is not on disk (a fresh install, offline). Only MNIST
has one: the default model and the class's models start from it."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from .base import DIGITS, Split

FILE = Path(__file__).resolve().parent / "mnist_sample.npz"
DATASET = "mnist"
CLASSES = list(DIGITS)
TRAIN_PER_CLASS = 600  # 6,000 training images: above what a class of 500 drawings mixes in (BASE_PER_DRAWING)
TEST_PER_CLASS = 200   # 2,000 test images for the before/after row


def available(name: str) -> bool:
    return name == DATASET and FILE.is_file()


def load(name: str) -> Optional[tuple[Split, Split]]:
    """(train, test) of the shipped sample of dataset `name`, or None when there is none."""
    if not available(name):
        return None
    with np.load(FILE) as f:
        return Split(f["train_x"], f["train_y"].astype(np.int64)), Split(f["test_x"], f["test_y"].astype(np.int64))
