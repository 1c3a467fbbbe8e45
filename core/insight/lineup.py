"""The line-up: every model of one dataset reads the same picture, ordered from logistic regression to the
strongest CNN, so a class sees accuracy grow with depth. Models load lazily, once, and stay cached; each
reads through its compiled call (registry.Predictor), so a line-up of all MNIST models is a few ms each."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .. import config, registry
from ..errors import BadModel
from .explain import architecture_kind as kind_of  # 'linear', 'mlp' or 'cnn' from a model card
from ..model.preprocess import prepare
from ..progress import ProgressCallback
from .top import TopAnswers

KIND_ORDER = {"linear": 0, "mlp": 1, "cnn": 2}  # simplest first


def members(dataset: str) -> list[registry.Bundle]:
    """The usable bundles of `dataset`, simplest and least accurate first."""
    found = [b for b in registry.list_bundles() if b.ok and b.card.get("dataset") == dataset]
    return sorted(found, key=lambda b: (KIND_ORDER[kind_of(b.card)], b.card.get("test_accuracy") or 0, b.name))


@dataclass
class Answer(TopAnswers):
    """One model's reading of one picture."""
    model: str
    title: str
    kind: str
    parameters: Optional[int]
    size_bytes: int  # model.keras on disk
    test_accuracy: Optional[float]
    x: np.ndarray  # (1, 28, 28, 1): what this model sees
    top: list[tuple[str, float]]  # top 3, most likely first


_loaded: dict[tuple[str, float], registry.Predictor] = {}


def cached_predictor(name: str) -> registry.Predictor:
    """A loaded bundle, kept for the life of the process (keyed by name and file time)."""
    key = (name, registry.inspect(name).mtime)
    if key not in _loaded:
        _loaded[key] = registry.Predictor(name)
    return _loaded[key]


class LineUp:
    """Every bundle of `dataset`. `predictor` maps a name to a loaded registry.Predictor (the app passes its
    own st.cache_resource loader, so the line-up shares models with the rest of the app)."""

    def __init__(self, dataset: str, predictor: Callable[[str], registry.Predictor] = cached_predictor):
        self.dataset = dataset
        self.bundles = members(dataset)
        if not self.bundles:
            raise BadModel(f"No usable model of the dataset {dataset!r} in {config.models_dir()}.")
        self._predictor = predictor
        self.loaded = False  # every model loaded once (then kept by `predictor`'s cache)

    def load(self, progress: ProgressCallback = None) -> None:
        """Load every model now (a line-up after this is fast); `progress(done, total)` in models, from 0."""
        for i, b in enumerate(self.bundles):
            if progress:
                progress(i, len(self.bundles))
            self._predictor(b.name)
        if progress:
            progress(len(self.bundles), len(self.bundles))
        self.loaded = True

    def read(self, picture: np.ndarray) -> list[Answer]:
        """Every model on one picture (canvas RGBA, upload or grey image), each prepared in its model's own
        style; [] when it holds no ink."""
        return self._read(lambda style: prepare(picture, style).x)

    def read_input(self, x: np.ndarray) -> list[Answer]:
        """Every model on one input already prepared (float32 (1,28,28,1)), e.g. a test example."""
        return self._read(lambda style: x)

    def _read(self, input_for: Callable[[str], Optional[np.ndarray]]) -> list[Answer]:
        inputs: dict[str, Optional[np.ndarray]] = {}  # one preparation per preprocessing style
        out = []
        for b in self.bundles:
            p = self._predictor(b.name)
            if p.style not in inputs:
                inputs[p.style] = input_for(p.style)
            x = inputs[p.style]
            if x is None:
                return []
            arch = b.card.get("architecture") or {}
            out.append(Answer(b.name, b.title, kind_of(b.card), arch.get("parameters"),
                              (b.path / "model.keras").stat().st_size, b.card.get("test_accuracy"), x,
                              p.top(p(x)[0], 3)))
        return out
