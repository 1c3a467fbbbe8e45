"""A model's own feature space: the output of its last hidden layer (the input of its `logits` layer), the
space in which its final, linear layer separates the classes. For logistic regression that is the pixels.
Called through a compiled function (core.model.compiled.compiled_predict), in batches for whole datasets."""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np

from ..model.compiled import compiled_predict
from ..errors import BadModel
from ..model.evaluation import batched


def _classifier_layer(model):
    """The last Dense layer (named `logits` in every zoo model)."""
    import keras

    try:
        return model.get_layer("logits")
    except ValueError:
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        if not dense:
            raise BadModel(f"{model.name} has no Dense layer: it has no feature space to show.") from None
        return dense[-1]


def embedding_model(model):
    """keras.Model: the same input -> the last hidden layer's output, flattened."""
    import keras

    feats = _classifier_layer(model).input
    if len(feats.shape) > 2:
        feats = keras.layers.Flatten()(feats)
    return keras.Model(model.inputs, feats, name=f"{model.name}_features")


class Embedder:
    """float32 (N,28,28,1) -> float32 (N, D) features of one loaded model."""

    def __init__(self, model):
        self.model = embedding_model(model)
        self.dim = int(self.model.output.shape[-1])
        self._call = compiled_predict(self.model)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._call(np.asarray(x, np.float32)), np.float32).reshape(len(x), -1)

    def of_images(self, x_uint8: np.ndarray, progress: Optional[Callable[[int, int], None]] = None) -> np.ndarray:
        """Features of uint8 images (N,28,28), in batches."""
        return batched(self, x_uint8, batch=1024, progress=progress).reshape(len(x_uint8), self.dim)


class Projection:
    """PCA to a few dimensions (numpy SVD on a sample): keeps the neighbours' cache and the map small, and is
    the PCA step before t-SNE. Distances between projected features approximate those between features."""

    def __init__(self, mean: np.ndarray, components: np.ndarray):
        self.mean = np.asarray(mean, np.float32)
        self.components = np.asarray(components, np.float32)  # (dims, D)

    @classmethod
    def fit(cls, features: np.ndarray, dims: int, sample: int = 5000, seed: int = 0) -> "Projection":
        f = np.asarray(features, np.float32)
        if len(f) > sample:
            f = f[np.random.default_rng(seed).choice(len(f), sample, replace=False)]
        from sklearn.utils.extmath import randomized_svd  # a few components of a wide matrix: far quicker

        mean = f.mean(axis=0)
        _, _, vt = randomized_svd(f - mean, n_components=min(dims, *f.shape), random_state=seed)
        return cls(mean, vt)

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return (np.asarray(features, np.float32) - self.mean) @ self.components.T
