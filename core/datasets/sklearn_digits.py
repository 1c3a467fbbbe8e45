"""scikit-learn's 1,797 8x8 digits, upscaled into MNIST's 20x20 box: bundled, always there, offline."""
from __future__ import annotations

import numpy as np

from ..progress import ProgressCallback
from .base import DIGITS, Dataset, Source, resplit


class SklearnDigits(Source):
    def state(self, present, missing):
        return "bundled", True, "bundled with scikit-learn: always available, offline"

    def load(self, progress: ProgressCallback = None, download: bool = True) -> Dataset:
        from sklearn.datasets import load_digits

        from ..model.input import to_uint8
        from ..model.preprocess import to_model_input

        d = load_digits()
        ink = d.images.astype(np.float32) / 16.0  # 8x8, values 0..16
        x = np.stack([to_uint8(to_model_input(im, "mnist", threshold=0.05)[0]) for im in ink])
        y = d.target.astype(np.int64)
        tr, te, prov = resplit(x, y, "scikit-learn's 1,797 8x8 digits (upscaled into MNIST's 20x20 box)")
        return Dataset(self.name, self.title, DIGITS, tr, te, prov, "mnist",
                       notes=["Bundled with scikit-learn: always available, offline. 8x8 pictures with 17 grey levels, "
                              "upscaled to 28x28, so they look blurrier than MNIST."])


SOURCES = [SklearnDigits("sklearn-digits", "scikit-learn digits (8x8, upscaled)", "mnist", (),
                         "bundled with scikit-learn")]
