"""SHAP attributions of one input x (float32 (1,28,28,1) in [0,1], exactly what the model saw) for its
top classes.

- `Explainer(model, background, method)`: SHAP for the top 3 classes of x, and for any class asked for
  beside them (`also`: the class a student meant, when the model read another). Methods:
    "gradient"  shap.GradientExplainer (expected gradients), the default;
    "deep"      shap.DeepExplainer (DeepLIFT with a background);
    "partition" shap.Explainer with shap.maskers.Image (model-agnostic, any backend).
  Build one per model and keep it (the UI caches it per bundle name and file time): the first call
  traces the gradient function, later calls reuse it.
- `background(name)`: the reference images SHAP integrates over: training images when the dataset
  is on disk, else the bundle's stored misclassified test images, else a blank image (works offline).

Tuned for speed on a small CPU (see benchmarks/explain_speed.py): GradientExplainer with a
64-image background and 48 samples per class; its gradients come from compiled functions with a fixed
input signature (shap's own traces one per class and retraces for each new batch shape), and the top
3 classes share one forward pass (shap evaluates them on the same sample points). The values are
exactly those shap's own gradients give for the same seed (tests/test_explain.py checks it).
"""
from __future__ import annotations

import hashlib
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from .. import datasets, registry
from ..model.compiled import backend, compiled_call
from ..errors import BadModel, ExplainError
from ..model.input import from_uint8, one_image
from ..progress import ProgressCallback

METHODS = {
    "gradient": "GradientExplainer (expected gradients)",
    "deep": "DeepExplainer (DeepLIFT)",
    "partition": "Partition explainer (image masker)",
}
DEFAULT_METHOD = "gradient"
TOP = 3
BACKGROUND_SIZE = 64  # reference images for SHAP (drawn from the training data when it is present)
GRADIENT_NSAMPLES = 48  # expected-gradient samples per class (shap's default: 200 in batches of 50)
DEEP_BACKGROUND = 32  # DeepExplainer's cost grows with its background: it uses the first 32
PARTITION_MAX_EVALS = 300  # shap's default is 500
PARTITION_MASKER = "blur(7,7)"

# ---------------------------------------------------------------- background
def background_from(x_uint8: np.ndarray, y: np.ndarray, n: int = BACKGROUND_SIZE, seed: int = 0) -> np.ndarray:
    """n images stratified by class (as many of each class as possible), float32 (n,28,28,1)."""
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    per = max(1, n // max(len(classes), 1))
    idx = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:per] for c in classes])
    if len(idx) < n:
        rest = np.setdiff1d(np.arange(len(y)), idx)
        idx = np.concatenate([idx, rng.permutation(rest)[:n - len(idx)]])
    idx = rng.permutation(idx)[:n]
    return from_uint8(x_uint8[idx])


def background(name: str, n: int = BACKGROUND_SIZE, seed: int = 0,
               dataset: Optional[datasets.Dataset] = None) -> tuple[np.ndarray, str]:
    """(images float32 (k,28,28,1), where they came from) for bundle `name`: training images of its
    dataset when present (pass `dataset` if it is already loaded), else its stored misclassified
    test images, else one blank image. Works with no dataset and no network."""
    card = registry.inspect(name).card or {}
    ds = dataset if dataset is not None else datasets.load_offline(card.get("dataset", ""))
    if ds is not None and len(ds.train):
        return background_from(ds.train.x, ds.train.y, n, seed), f"{n} training images of {ds.title}"
    try:
        mis = registry.read_misclassified(name)
    except BadModel:
        mis = None
    if mis is not None and len(mis.get("images", [])):
        imgs = from_uint8(mis["images"][:n])
        blank = np.zeros((1, 28, 28, 1), np.float32)
        return (np.concatenate([imgs, blank]),
                f"{len(imgs)} stored misclassified test images and a blank image (the dataset is not on disk)")
    return np.zeros((1, 28, 28, 1), np.float32), "a blank image (no dataset and no stored examples)"


# ---------------------------------------------------------------- SHAP
@dataclass
class Attribution:
    """SHAP values of one input for its top classes. values[k] > 0 pushes towards classes[k]."""
    x: np.ndarray  # (28,28) the input
    classes: list[int]  # class indices, most probable first
    labels: list[str]
    probs: list[float]
    values: np.ndarray  # (k,28,28)
    method: str
    seconds: float
    base: Optional[list[float]] = None  # expected output over the background, where the method gives it
    source: str = ""  # what the background was

    @property
    def vmax(self) -> float:
        """One symmetric scale for every map (as shap.image_plot): the largest |value|."""
        m = float(np.abs(self.values).max()) if self.values.size else 0.0
        return m if m > 0 else 1e-9

    def sums(self) -> list[float]:
        return [float(v.sum()) for v in self.values]


def _top(probs: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in np.argsort(-np.asarray(probs, np.float64), kind="stable")[:k]]


@dataclass
class Explainer:
    """SHAP for one model. Build once per model (costly: traces its gradients), call for each input."""
    model: object
    background: np.ndarray
    method: str = DEFAULT_METHOD
    classes: Optional[list[str]] = None
    nsamples: int = GRADIENT_NSAMPLES
    max_evals: int = PARTITION_MAX_EVALS
    background_source: str = ""  # said beside the maps (see background())
    _impl: object = field(default=None, init=False, repr=False)
    _predict: object = field(default=None, init=False, repr=False)
    _shared: object = field(default=None, init=False, repr=False)
    _lock: object = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self):
        if self.method not in METHODS:
            raise ExplainError(f"Unknown explanation method {self.method!r}. Known: {', '.join(METHODS)}.")
        if self.method in ("gradient", "deep") and backend() != "tensorflow":
            raise ExplainError(f"{METHODS[self.method]} needs Keras on TensorFlow (this is Keras on "
                               f"{backend()}); use the partition explainer.")
        self.background = np.asarray(self.background, np.float32).reshape(-1, 28, 28, 1)
        outs = compiled_call(self.model)
        self._predict = lambda x: outs(x)[0]
        n_out = int(self._predict(np.zeros((1, 28, 28, 1), np.float32)).shape[-1])
        self.classes = [str(c) for c in (self.classes or range(n_out))]
        import shap

        if self.method == "gradient":
            self._impl = shap.GradientExplainer(self.model, self.background, batch_size=self.nsamples)
            self._shared = _share_gradients(self._impl, self.model, n_out, self._predict)
        elif self.method == "deep":
            self._impl = shap.DeepExplainer(self.model, self.background[:DEEP_BACKGROUND])
        else:
            masker = shap.maskers.Image(PARTITION_MASKER, (28, 28, 1))
            self._impl = shap.Explainer(lambda z: self._predict(np.asarray(z, np.float32).reshape(-1, 28, 28, 1)),
                                        masker, output_names=self.classes, algorithm="partition")

    def probs(self, x: np.ndarray) -> np.ndarray:
        return self._predict(one_image(x))[0]

    def explain(self, x: np.ndarray, top: int = TOP, progress: ProgressCallback = None, seed: int = 0,
                also: Sequence[str] = ()) -> Attribution:
        """SHAP values of x for its `top` most probable classes, then for each class of `also` (labels, e.g. the
        class a student meant) not among them. progress(classes done, classes)."""
        x = one_image(x)
        unknown = [str(c) for c in also if str(c) not in self.classes]
        if unknown:
            raise ExplainError(f"{', '.join(unknown)} is not one of the model's classes: no explanation for it.")
        with self._lock, warnings.catch_warnings():  # one at a time (shared by sessions); shap hands Keras
            warnings.simplefilter("ignore", UserWarning)  # a list for its one input: a harmless warning
            return self._explain(x, top, progress, seed, [self.classes.index(str(c)) for c in also])

    def _explain(self, x: np.ndarray, top: int, progress: ProgressCallback, seed: int,
                 also: list[int]) -> Attribution:
        say = progress or (lambda done, total: None)
        t0 = time.perf_counter()
        probs = self._predict(x)[0]
        order = _top(probs, min(top, len(probs)))
        order += [c for c in dict.fromkeys(also) if c not in order]  # the class meant, where the top lacks it
        top = len(order)
        base = None
        if self.method == "gradient":
            maps = []
            if self._shared is not None:
                self._shared.wanted, self._shared.kept = list(order), {}
            for k, c in enumerate(order):
                say(k, top)
                v, _ = self._impl.shap_values(x, nsamples=self.nsamples, ranked_outputs=np.array([[c]]),
                                              output_rank_order="custom", rseed=seed)
                maps.append(np.asarray(v).reshape(28, 28))
            values = np.stack(maps)
            if self._shared is not None:
                self._shared.wanted, self._shared.kept = [], {}
        elif self.method == "deep":
            say(0, top)
            # shap's DeepExplainer explains its outputs by rank only: down to the lowest-ranked class wanted.
            ranks = _top(probs, len(probs))
            v, idx = self._impl.shap_values(x, ranked_outputs=1 + max(ranks.index(c) for c in order),
                                            check_additivity=False)
            v = np.asarray(v).reshape(28, 28, -1)
            ranked = [int(i) for i in np.asarray(idx)[0]]
            values = np.stack([v[..., ranked.index(c)] if c in ranked else np.zeros((28, 28)) for c in order])
            ev = np.asarray(self._impl.expected_value, np.float64).reshape(-1)
            base = [float(ev[c]) for c in order]
        else:
            say(0, top)
            r = self._impl(x, max_evals=self.max_evals, batch_size=100, silent=True, outputs=np.array(order))
            names = [str(n) for n in np.asarray(r.output_names).reshape(-1)][:top]
            v = np.asarray(r.values).reshape(28, 28, -1)
            values = np.stack([v[..., names.index(self.classes[c])] if self.classes[c] in names
                               else np.zeros((28, 28)) for c in order])
            base = [float(np.asarray(r.base_values).reshape(-1)[names.index(self.classes[c])])
                    if self.classes[c] in names else float("nan") for c in order]
        say(top, top)
        return Attribution(x=x[0, ..., 0], classes=order, labels=[self.classes[c] for c in order],
                           probs=[float(probs[c]) for c in order], values=values.astype(np.float32),
                           method=self.method, seconds=time.perf_counter() - t0, base=base,
                           source=self.background_source)


class _SharedGradients:
    """Compiled gradients for a shap.GradientExplainer on TensorFlow, replacing shap's own (one
    tf.function per class, each traced on first use and retraced for each new batch shape: about
    0.5 s each time on a small CPU). shap asks for the classes one after the other on the same
    sample points (it reseeds for each), so when the classes wanted are known (`wanted`), one forward
    pass serves all of them and each backward pass is kept until shap asks for it. The algorithm
    (points between background and input, gradients times differences, averaged) stays shap's."""

    def __init__(self, model):
        import tensorflow as tf

        self.tf, self.model = tf, model
        self.wanted: list[int] = []
        self.kept: dict = {}
        self._multi: dict = {}

        @tf.function(input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32), tf.TensorSpec((), tf.int32)])
        def one(x, i):
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(x)
                out = tf.gather(model(x, training=False), i, axis=1)
            return tape.gradient(out, x)
        self.one = one

    def many(self, k: int):
        """A compiled function: k classes' gradients from one forward pass."""
        if k not in self._multi:
            tf, model = self.tf, self.model

            @tf.function(input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32), tf.TensorSpec((k,), tf.int32)])
            def fn(x, idx):
                with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
                    tape.watch(x)
                    out = tf.gather(model(x, training=False), idx, axis=1)
                    parts = [out[:, j] for j in range(k)]
                return tf.stack([tape.gradient(part, x) for part in parts])
            self._multi[k] = fn
        return self._multi[k]

    def for_class(self, c: int):
        def gradient(xs):
            x = np.asarray(xs[0], np.float32)
            if c not in self.wanted:
                return [self.one(x, self.tf.constant(c, self.tf.int32)).numpy()]
            h = hashlib.sha1(x.tobytes()).digest()
            if (h, c) not in self.kept:
                g = self.many(len(self.wanted))(x, self.tf.constant(self.wanted, self.tf.int32)).numpy()
                self.kept = {(h, w): g[j] for j, w in enumerate(self.wanted)}
            return [self.kept.pop((h, c))]
        return gradient


def _share_gradients(explainer, model, n_out: int, predict) -> Optional[_SharedGradients]:
    """Fit a shap.GradientExplainer with _SharedGradients (None where shap's layout is not the one
    known: it is left as it is, correct and only slower)."""
    impl = getattr(explainer, "explainer", None)
    if impl is None or not isinstance(getattr(impl, "gradients", None), list) or len(impl.gradients) != n_out:
        return None
    shared = _SharedGradients(model)
    impl.gradients = [shared.for_class(i) for i in range(n_out)]
    impl.model = lambda xs: predict(np.asarray(xs[0], np.float32))  # ranks outputs: compiled, not eager
    return shared
