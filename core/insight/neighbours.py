"""Nearest training examples: the k training images closest to an input in a model's own feature space
(features.py). "Your drawing looks, to this model, like these": a 4 read as a 9 sits among 9s.

The training set's features are computed once per bundle and dataset and kept in the derived-data cache
(config.cache_dir()/insight/, beside the rendered pen strokes; never in the models folder, whose size is
budgeted), keyed by the model file's time and size, so a replaced bundle is computed afresh. The dataset
must be on disk (nothing is downloaded here), else its sample shipped with the app is searched (MNIST's:
datasets/shipped_sample.py); with neither, DatasetMissing says which files and where."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .. import config, datasets, registry
from ..datasets import shipped_sample
from ..errors import BadModel, DatasetMissing
from .features import Embedder, Projection

CACHE_VERSION = "v2"
DIMS = 64  # PCA dimensions kept: 60,000 MNIST images take 7.7 MB in float16
FIT_SAMPLE = 5000  # images the PCA is fitted on
CHUNK = 4096


@dataclass
class Neighbour:
    index: int  # in the dataset's training split
    label: str
    distance: float  # euclidean, in the model's feature space (its first DIMS principal components)


def cache_path(bundle: registry.Bundle, dataset: str) -> Path:
    st = (bundle.path / "model.keras").stat()
    stamp = hashlib.sha1(f"{st.st_mtime_ns}:{st.st_size}".encode()).hexdigest()[:12]
    return config.cache_dir() / "insight" / f"{bundle.name}-{stamp}-{dataset}-train-{CACHE_VERSION}.npz"


class Neighbours:
    """The training set of `pred`'s dataset in its feature space, ready for queries.
    progress(done, total) reports the one-off computation of the training set's features."""

    def __init__(self, pred: registry.Predictor, progress: Optional[Callable[[int, int], None]] = None):
        self.pred = pred
        self.dataset_name = pred.card["dataset"]
        self.embed = Embedder(pred.model)
        self.searched = self.dataset_name  # what the training images are (said under the neighbours)
        try:
            self.data = datasets.load(self.dataset_name, download=False)
        except DatasetMissing:  # offline, MNIST never downloaded: the sample shipped with the app, if any
            sample = shipped_sample.load(self.dataset_name)
            if sample is None:
                raise  # its sentence says which files and where
            self.data = datasets.Dataset(self.dataset_name, self.dataset_name, shipped_sample.CLASSES, sample[0],
                                         sample[1], "the sample shipped with the app", "mnist")
            self.searched = f"the {self.dataset_name} sample shipped with the app"
        if [str(c) for c in self.data.classes] != pred.classes:
            raise BadModel(f"{pred.bundle.name} predicts {len(pred.classes)} classes, its dataset "
                           f"{self.dataset_name} has {len(self.data.classes)}: they do not match.")
        self.features = self._training_features(progress)
        self._sq = np.einsum("ij,ij->i", self.features, self.features)

    def _training_features(self, progress) -> np.ndarray:
        """The training set's features, projected to DIMS dimensions (computed once, then read from the cache)."""
        path = cache_path(self.pred.bundle, self.dataset_name if self.searched == self.dataset_name else
                          f"{self.dataset_name}-sample")
        n = len(self.data.train)
        if path.is_file():
            try:
                with np.load(path, allow_pickle=False) as z:
                    if len(z["features"]) == n and z["components"].shape[1] == self.embed.dim:
                        self.projection = Projection(z["mean"], z["components"])
                        return z["features"].astype(np.float32)
            except (OSError, ValueError, KeyError, EOFError):
                pass  # a damaged cache file is computed again
        x = self.data.train.x
        # The projection is fitted on a sample, then the whole set streams through model and projection in
        # chunks: a CNN's last hidden layer can be 2,048 wide (60,000 of them would be 490 MB of floats).
        sample = np.random.default_rng(0).choice(n, min(n, FIT_SAMPLE), replace=False)
        self.projection = Projection.fit(self.embed.of_images(x[sample]), DIMS)
        chunks = []
        for i in range(0, n, CHUNK):
            chunks.append(self.projection(self.embed.of_images(x[i:i + CHUNK])).astype(np.float16))
            if progress:
                progress(min(i + CHUNK, n), n)
        feats = np.concatenate(chunks)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, features=feats, mean=self.projection.mean, components=self.projection.components)
        os.replace(tmp, path)
        return feats.astype(np.float32)  # float16 on disk and here alike: a later run finds the same neighbours

    def query(self, x: np.ndarray, k: int = 5) -> list[list[Neighbour]]:
        """For each input of x (float32 (N,28,28,1)): its k nearest training images, nearest first."""
        q = self.projection(self.embed(x))
        d2 = self._sq[None, :] - 2.0 * (q @ self.features.T) + np.einsum("ij,ij->i", q, q)[:, None]
        k = max(1, min(int(k), len(self.features)))
        out = []
        for row in d2:
            idx = np.argpartition(row, k - 1)[:k]
            idx = idx[np.argsort(row[idx], kind="stable")]
            out.append([Neighbour(int(i), self.data.classes[int(self.data.train.y[i])],
                                  float(np.sqrt(max(row[i], 0.0)))) for i in idx])
        return out

    def image(self, index: int) -> np.ndarray:
        """The training image (28, 28) uint8 at `index`."""
        return self.data.train.x[index]
