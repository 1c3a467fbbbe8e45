"""Why a model says what it says about one input x (float32 (1,28,28,1) in [0,1], exactly what it saw):
SHAP attributions for its top classes, every layer's activations, its convolution filters and, for
linear models and MLPs, its first-layer weights as 28x28 templates.

- `Explainer(model, background, method)`: SHAP for the top 3 classes of x. Methods:
    "gradient"  shap.GradientExplainer (expected gradients), the default;
    "deep"      shap.DeepExplainer (DeepLIFT with a background);
    "partition" shap.Explainer with shap.maskers.Image (model-agnostic, any backend).
  Build one per model and keep it (the UI caches it per bundle name and file time): the first call
  traces the gradient function, later calls reuse it.
- `background(name)`: the reference images SHAP integrates over: training images when the dataset
  is on disk, else the bundle's stored misclassified test images, else a blank image (works offline).
- `Activations(model)`: one keras.Model with every layer's output, built once, called through a
  compiled function (not model.predict). `feature_grid` lays conv feature maps out as 8x8 grids.
- `conv_filters(model)`, `weight_templates(model)`: what the first layers look for.

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
from typing import Callable, Optional

import numpy as np

from . import datasets, registry
from .errors import BadModel, DatasetMissing, HWLabError

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
GRID_COLUMNS = 8
GRID_MAPS = 64  # feature maps shown per layer: an 8x8 grid

Progress = Optional[Callable[[float, str], None]]  # (fraction done, what is being done)


class ExplainError(HWLabError):
    """An explanation that cannot be computed for this model or input (said as a sentence)."""


# ---------------------------------------------------------------- input checks and compiled calls
def as_input(x: np.ndarray) -> np.ndarray:
    """x as float32 (1,28,28,1) in [0,1]; accepts (28,28), (28,28,1), (1,28,28) and uint8 images."""
    a = np.asarray(x)
    if a.dtype == np.uint8:
        a = a.astype(np.float32) / 255.0
    a = a.astype(np.float32, copy=False)
    if a.size != 28 * 28:
        raise ExplainError(f"An explanation needs one 28x28 image; got an array of shape {a.shape}.")
    return a.reshape(1, 28, 28, 1)


def _backend() -> str:
    import keras

    return keras.backend.backend()


def compiled_outputs(model) -> Callable[[np.ndarray], list[np.ndarray]]:
    """float32 (N,28,28,1) -> the model's outputs as a list of numpy arrays, through one compiled
    call (tf.function / jax.jit; model.predict costs about 100 ms more per call)."""
    import keras

    backend = _backend()
    if backend == "tensorflow":
        import tensorflow as tf

        fn = tf.function(lambda x: model(x, training=False), reduce_retracing=True,
                         input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32)])
        call = lambda x: fn(tf.convert_to_tensor(x, tf.float32))  # noqa: E731
    elif backend == "jax":
        import jax

        jitted = jax.jit(lambda x: model(x, training=False))
        call = lambda x: jitted(np.asarray(x, np.float32))  # noqa: E731
    else:
        call = lambda x: model(x, training=False)  # noqa: E731

    def run(x):
        out = call(x)
        outs = out if isinstance(out, (list, tuple)) else [out]
        return [np.asarray(keras.ops.convert_to_numpy(o)) for o in outs]
    return run


# ---------------------------------------------------------------- background
def offline_dataset(name: str) -> Optional[datasets.Dataset]:
    """The dataset when its files are already on disk, else None. Never downloads (a page must not
    stall on the network); may take a few seconds to read."""
    if not datasets.on_disk(name):
        return None
    try:
        return datasets.load(name, download=False)
    except (DatasetMissing, HWLabError, OSError, ValueError):
        return None


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
    return x_uint8[idx][..., None].astype(np.float32) / 255.0


def background(name: str, n: int = BACKGROUND_SIZE, seed: int = 0,
               dataset: Optional[datasets.Dataset] = None) -> tuple[np.ndarray, str]:
    """(images float32 (k,28,28,1), where they came from) for bundle `name`: training images of its
    dataset when present (pass `dataset` if it is already loaded), else its stored misclassified
    test images, else one blank image. Works with no dataset and no network."""
    card = registry.inspect(name).card or {}
    ds = dataset if dataset is not None else offline_dataset(card.get("dataset", ""))
    if ds is not None and len(ds.train):
        return background_from(ds.train.x, ds.train.y, n, seed), f"{n} training images of {ds.title}"
    try:
        mis = registry.read_misclassified(name)
    except BadModel:
        mis = None
    if mis is not None and len(mis.get("images", [])):
        imgs = mis["images"][:n][..., None].astype(np.float32) / 255.0
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
        if self.method in ("gradient", "deep") and _backend() != "tensorflow":
            raise ExplainError(f"{METHODS[self.method]} needs Keras on TensorFlow (this is Keras on "
                               f"{_backend()}); use the partition explainer.")
        self.background = np.asarray(self.background, np.float32).reshape(-1, 28, 28, 1)
        outs = compiled_outputs(self.model)
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
        return self._predict(as_input(x))[0]

    def explain(self, x: np.ndarray, top: int = TOP, progress: Progress = None, seed: int = 0) -> Attribution:
        """SHAP values of x for its `top` most probable classes. progress(fraction, message)."""
        x = as_input(x)
        with self._lock, warnings.catch_warnings():  # one at a time (shared by sessions); shap hands Keras
            warnings.simplefilter("ignore", UserWarning)  # a list for its one input: a harmless warning
            return self._explain(x, top, progress, seed)

    def _explain(self, x: np.ndarray, top: int, progress: Progress, seed: int) -> Attribution:
        say = progress or (lambda f, m: None)
        t0 = time.perf_counter()
        probs = self._predict(x)[0]
        top = min(top, len(probs))
        order = _top(probs, top)
        base = None
        if self.method == "gradient":
            maps = []
            if self._shared is not None:
                self._shared.wanted, self._shared.kept = list(order), {}
            for k, c in enumerate(order):
                say(k / top, f"SHAP for class {self.classes[c]} ({k + 1} of {top})")
                v, _ = self._impl.shap_values(x, nsamples=self.nsamples, ranked_outputs=np.array([[c]]),
                                              output_rank_order="custom", rseed=seed)
                maps.append(np.asarray(v).reshape(28, 28))
            values = np.stack(maps)
            if self._shared is not None:
                self._shared.wanted, self._shared.kept = [], {}
        elif self.method == "deep":
            say(0.0, f"DeepExplainer for the top {top} classes")
            v, idx = self._impl.shap_values(x, ranked_outputs=top, check_additivity=False)
            v = np.asarray(v).reshape(28, 28, -1)
            ranked = [int(i) for i in np.asarray(idx)[0]]
            values = np.stack([v[..., ranked.index(c)] if c in ranked else np.zeros((28, 28)) for c in order])
            ev = np.asarray(self._impl.expected_value, np.float64).reshape(-1)
            base = [float(ev[c]) for c in order]
        else:
            say(0.0, f"Partition explainer for the top {top} classes")
            import shap

            r = self._impl(x, max_evals=self.max_evals, batch_size=100, silent=True,
                           outputs=shap.Explanation.argsort.flip[:top])
            names = [str(n) for n in np.asarray(r.output_names).reshape(-1)][:top]
            v = np.asarray(r.values).reshape(28, 28, -1)
            values = np.stack([v[..., names.index(self.classes[c])] if self.classes[c] in names
                               else np.zeros((28, 28)) for c in order])
            base = [float(np.asarray(r.base_values).reshape(-1)[names.index(self.classes[c])])
                    if self.classes[c] in names else float("nan") for c in order]
        say(1.0, "done")
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


# ---------------------------------------------------------------- activations
@dataclass
class LayerOutput:
    name: str
    type: str  # the layer's class name: Conv2D, Dense, ...
    values: np.ndarray  # one example: (H,W,C) for feature maps, (units,) for vectors

    @property
    def kind(self) -> str:
        """'maps' (H,W,C), 'vector' (units,) or 'other'."""
        return {3: "maps", 1: "vector"}.get(self.values.ndim, "other")

    @property
    def passthrough(self) -> bool:
        """Dropout (off at inference) and Flatten (a reshape) show nothing new."""
        return self.type in ("Dropout", "SpatialDropout2D", "Flatten", "Reshape", "GaussianNoise")


class Activations:
    """Every layer's output for one input, from one multi-output keras.Model built once."""

    def __init__(self, model):
        import keras

        self.layers = [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
        if not model.inputs:
            raise ExplainError("This model has no keras.Input, so its layers' outputs cannot be read.")
        self.model = keras.Model(inputs=model.inputs, outputs=[l.output for l in self.layers],
                                 name=f"{model.name}_activations")
        self._call = compiled_outputs(self.model)
        self._call(np.zeros((1, 28, 28, 1), np.float32))  # trace now, not on the first drawing

    def __call__(self, x: np.ndarray) -> list[LayerOutput]:
        outs = self._call(as_input(x))
        return [LayerOutput(l.name, type(l).__name__, o[0]) for l, o in zip(self.layers, outs)]


def feature_grid(maps: np.ndarray, cols: int = GRID_COLUMNS, max_maps: int = GRID_MAPS, pad: int = 1) -> np.ndarray:
    """Feature maps (H,W,C) laid out as a grid (first max_maps, `cols` a row), each map scaled to
    [0,1] by its own largest value (a map that stays 0 is black); float32 2-D, padding 0."""
    m = np.asarray(maps, np.float32)
    if m.ndim == 2:
        m = m[..., None]
    h, w, c = m.shape
    c = min(c, max_maps)
    rows = -(-c // cols)
    ncols = min(cols, c)
    grid = np.zeros((rows * (h + pad) - pad, ncols * (w + pad) - pad), np.float32)
    for k in range(c):
        a = m[..., k]
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        r, q = divmod(k, ncols)
        grid[r * (h + pad):r * (h + pad) + h, q * (w + pad):q * (w + pad) + w] = a
    return grid


def conv_filters(model) -> list[tuple[str, np.ndarray, str]]:
    """(layer name, filters (F,k,k), note) for each Conv2D layer: the first layer's filters are
    exactly what they match in the image; deeper ones are averaged over their input channels."""
    import keras

    out = []
    for l in model.layers:
        if isinstance(l, keras.layers.Conv2D) and l.get_weights():
            k = np.asarray(l.get_weights()[0], np.float32)  # (kh, kw, cin, cout)
            f = k.mean(axis=2).transpose(2, 0, 1)
            note = (f"{f.shape[0]} filters of {k.shape[0]}x{k.shape[1]}"
                    + ("" if k.shape[2] == 1 else f", averaged over {k.shape[2]} input channels"))
            out.append((l.name, f, note))
    return out


@dataclass
class Templates:
    layer: str
    weights: np.ndarray  # (units, 28, 28)
    labels: list[str]  # class names for a linear model's units, else "unit k"


def weight_templates(model, classes: Optional[list[str]] = None) -> Optional[Templates]:
    """The first Dense layer reading the 784 pixels, as one 28x28 template per unit (red: ink there
    raises the unit, blue: lowers it). For logistic regression these are the class templates."""
    import keras

    for l in model.layers:
        if isinstance(l, keras.layers.Dense) and l.get_weights():
            k = np.asarray(l.get_weights()[0], np.float32)
            if k.shape[0] != 28 * 28:
                return None  # the first Dense layer reads features, not pixels
            units = k.shape[1]
            labels = ([str(c) for c in classes] if classes is not None and len(classes) == units
                      else [f"unit {i + 1}" for i in range(units)])
            return Templates(l.name, k.T.reshape(units, 28, 28), labels)
    return None


def architecture_kind(card: Optional[dict]) -> str:
    """'linear', 'mlp' or 'cnn', from the model card (older cards: guessed from the name)."""
    arch = (card or {}).get("architecture") or {}
    kind = arch.get("kind")
    if kind in ("linear", "mlp", "cnn"):
        return kind
    name = str(arch.get("name", ""))
    return "linear" if name.startswith("logreg") else "mlp" if name.startswith("mlp") else "cnn"


# ---------------------------------------------------------------- pictures (numpy only)
RED = np.array([1.0, 0.051, 0.341], np.float32)  # shap's red: supports the class
BLUE = np.array([0.118, 0.533, 0.898], np.float32)  # shap's blue: opposes it


def attribution_rgb(x28: np.ndarray, values: np.ndarray, vmax: float, scale: int = 8) -> np.ndarray:
    """The input in light grey on white with the attributions over it, red for positive and blue for
    negative, opacity |value|/vmax on a symmetric scale; uint8 (28*scale, 28*scale, 3)."""
    ink = np.clip(np.asarray(x28, np.float32).reshape(28, 28), 0, 1)
    base = np.repeat((1.0 - 0.35 * ink)[..., None], 3, axis=2)
    t = np.clip(np.asarray(values, np.float32).reshape(28, 28) / max(vmax, 1e-12), -1, 1)
    color = np.where(t[..., None] >= 0, RED, BLUE)
    alpha = np.abs(t)[..., None]
    rgb = base * (1 - alpha) + color * alpha
    img = (rgb * 255).round().astype(np.uint8)
    img = np.kron(img, np.ones((scale, scale, 1), np.uint8)) if scale > 1 else img
    img[[0, -1], :] = img[:, [0, -1]] = 200  # a thin grey frame: the picture's edge on white paper
    return img


def diverging_rgb(a: np.ndarray, scale: int = 4) -> np.ndarray:
    """A weight map on a symmetric red/white/blue scale; uint8 (H*scale, W*scale, 3)."""
    a = np.asarray(a, np.float32)
    m = float(np.abs(a).max()) or 1.0
    t = np.clip(a / m, -1, 1)[..., None]
    rgb = np.where(t >= 0, 1 - t * (1 - RED), 1 + t * (1 - BLUE))
    img = (rgb * 255).round().astype(np.uint8)
    return np.kron(img, np.ones((scale, scale, 1), np.uint8)) if scale > 1 else img


def tiles(images: np.ndarray, cols: int, pad: int = 2, value: float = 1.0) -> np.ndarray:
    """Images (N,h,w[,3]) as one grid, `cols` a row, separated by `pad` pixels of `value`."""
    images = np.asarray(images)
    n, h, w = images.shape[:3]
    rows = max(1, -(-n // cols))
    shape = (rows * (h + pad) - pad, cols * (w + pad) - pad) + images.shape[3:]
    grid = np.full(shape, value, images.dtype)
    for k in range(n):
        r, q = divmod(k, cols)
        grid[r * (h + pad):r * (h + pad) + h, q * (w + pad):q * (w + pad) + w] = images[k]
    return grid


# ---------------------------------------------------------------- an evaluation to browse (insight pages)
@dataclass
class EvalView:
    """One model's evaluation, ready to browse: the confusion matrix and report, and the images behind
    its cells. From the bundle (stored: mistakes only, the most confident first, up to
    evaluation.MAX_MISCLASSIFIED) or from a fresh run on the test set (every image)."""
    classes: list[str]
    confusion: np.ndarray  # (n,n) rows true, columns predicted
    report: dict
    most_confused: list[dict]
    accuracy: float
    n: int
    images: np.ndarray  # (M,28,28) uint8: the mistakes (stored) or the whole test set (fresh)
    true: np.ndarray  # (M,)
    pred: np.ndarray  # (M,)
    confidence: np.ndarray  # (M,) probability of the predicted class
    probs: np.ndarray  # (M,n)
    index: np.ndarray  # (M,) position in the test set
    source: str  # "stored" or "fresh"

    @classmethod
    def from_bundle(cls, name: str) -> Optional["EvalView"]:
        card = registry.inspect(name).card or {}
        try:
            ev = registry.read_evaluation(name)
            if ev is None:
                return None
            cm = np.asarray(ev["confusion"], np.int64)
            if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or not len(cm):
                raise ValueError("its confusion matrix is not square")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BadModel(f"{name}: evaluation.json cannot be read ({exc}).") from None
        classes = [str(c) for c in card.get("classes", [])]
        if not classes or len(classes) != len(cm):
            classes = [str(i) for i in range(len(cm))]
        try:
            mis = registry.read_misclassified(name) or {}
        except BadModel:  # the matrix and report still stand; only the examples are lost
            mis = {}
        m = len(mis.get("true", []))
        probs = np.asarray(mis.get("probs", np.zeros((m, len(classes)))), np.float32)
        pred = np.asarray(mis.get("pred", np.zeros(m)), np.int64)
        images = np.asarray(mis["images"]) if "images" in mis else np.zeros((0, 28, 28), np.uint8)
        k = min(m, len(images))
        return cls(classes, cm, ev.get("report") or {}, ev.get("most_confused") or [],
                   float(ev.get("accuracy", np.trace(cm) / max(cm.sum(), 1))), int(ev.get("n", cm.sum())),
                   images[:k], np.asarray(mis.get("true", np.zeros(m)), np.int64)[:k], pred[:k],
                   probs[np.arange(k), pred[:k]] if k else np.zeros(0, np.float32), probs[:k],
                   np.asarray(mis.get("index", np.arange(m)), np.int64)[:k], "stored")

    @classmethod
    def from_predictions(cls, probs: np.ndarray, x_uint8: np.ndarray, y: np.ndarray, classes: list[str]) -> "EvalView":
        from . import evaluation

        summary, _ = evaluation.evaluate(probs, y, classes)
        pred = probs.argmax(axis=1)
        return cls([str(c) for c in classes], np.asarray(summary["confusion"], np.int64), summary["report"],
                   summary["most_confused"], summary["accuracy"], summary["n"], x_uint8, np.asarray(y, np.int64),
                   pred, probs[np.arange(len(pred)), pred].astype(np.float32), probs.astype(np.float32),
                   np.arange(len(y)), "fresh")

    @property
    def has_correct(self) -> bool:
        """Whether images of correct predictions (the diagonal) are at hand: only after a fresh run."""
        return self.source == "fresh"

    def normalised(self) -> np.ndarray:
        """Row-normalised confusion matrix in percent (each true class sums to 100)."""
        rows = self.confusion.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(rows > 0, self.confusion / np.maximum(rows, 1) * 100, 0.0)

    def cell(self, t: int, p: int) -> np.ndarray:
        """Rows (into images/true/...) of test images of true class t predicted as p, most confident first."""
        rows = np.flatnonzero((self.true == t) & (self.pred == p))
        return rows[np.argsort(-self.confidence[rows], kind="stable")]

    def mistakes(self, true: Optional[list[int]] = None, pred: Optional[list[int]] = None,
                 most_confident_first: bool = True) -> np.ndarray:
        """Rows of the wrong predictions, filtered by true and predicted classes, sorted by confidence."""
        keep = self.true != self.pred
        if true:
            keep &= np.isin(self.true, true)
        if pred:
            keep &= np.isin(self.pred, pred)
        rows = np.flatnonzero(keep)
        order = np.argsort(-self.confidence[rows] if most_confident_first else self.confidence[rows], kind="stable")
        return rows[order]

    def first_mistakes(self) -> dict[tuple[int, int], int]:
        """Seed 004's view: for each (predicted, true) pair, the row of its first mistake in test order."""
        out: dict[tuple[int, int], int] = {}
        for r in np.argsort(self.index, kind="stable"):
            if self.true[r] != self.pred[r]:
                out.setdefault((int(self.pred[r]), int(self.true[r])), int(r))
        return out

    def report_rows(self) -> list[dict]:
        """The per-class report as rows: class, precision, recall, f1, support; then the averages."""
        order = self.classes + [k for k in ("macro avg", "weighted avg") if k in self.report]
        return [{"class": k, **{m: self.report[k].get(m) for m in ("precision", "recall", "f1", "support")}}
                for k in order if k in self.report]
