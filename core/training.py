"""Train one architecture on one dataset: settings checked up front, a uint8 input pipeline with
normalisation and augmentation on the fly, progress events, device choice, then evaluation on the
held-out test set and an atomic save of a new bundle.

Progress is reported through a callback of dicts (see `train`); jobs.py writes them as JSON lines.
"""
from __future__ import annotations

import math
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Callable, Optional

import numpy as np

from . import datasets, drawn, evaluation, registry, zoo
from .augment import augmenter
from .errors import BadSettings, DatasetMissing

Events = Optional[Callable[[dict], None]]
OPTIMIZERS = ("adam", "rmsprop", "sgd")
SCHEDULES = ("constant", "plateau", "one-cycle")


class Cancelled(Exception):
    """The job was asked to stop; nothing was saved."""


@dataclass
class Settings:
    dataset: str = "mnist"
    arch: str = "seed002_cnn"
    epochs: Optional[int] = None  # None: the architecture's default
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: Optional[float] = None  # None: the architecture's default, else 1e-3
    schedule: Optional[str] = None  # constant, plateau or one-cycle
    early_stopping: int = 0  # patience in epochs (restores the best weights); 0 = off
    augment: Optional[dict] = None  # rotation (degrees), shift, zoom (fractions), stroke; None: arch default
    validation_fraction: float = 0.1
    seed: int = 0
    pen_strokes: bool = False  # add the pen-stroke training writers' drawings to the training data
    pen_repeat: int = 1  # how many times those drawings are repeated in the training set
    pen_sources: str = "unipen"  # comma-separated: unipen, pendigits (each split by writer, see drawn.py)
    init_from: Optional[str] = None  # start from this bundle's weights (same architecture and classes)
    limit: Optional[int] = None  # train on the first N examples only (quick tries and tests)
    name: Optional[str] = None  # bundle name; default <dataset>-<arch>
    title: Optional[str] = None
    mixed_precision: str = "auto"  # auto (on a GPU), on, off
    drawn_eval: bool = True  # measure drawn-input accuracy after training (renders pen strokes once, cached)

    @classmethod
    def from_dict(cls, d: dict) -> "Settings":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise BadSettings(f"Unknown training settings: {', '.join(sorted(unknown))}.")
        return cls(**d)

    def resolved(self) -> "Settings":
        """Checked settings with the architecture's defaults filled in. Raises BadSettings."""
        a = zoo.get(self.arch)  # raises for an unknown architecture
        datasets.spec(self.dataset) if self.dataset in datasets.DATASETS else _bad(
            f"Unknown dataset {self.dataset!r}. Known: {', '.join(datasets.DATASETS)}.")
        d = a.defaults
        s = Settings(**{**asdict(self)})
        s.epochs = self.epochs if self.epochs is not None else d.get("epochs", 10)
        s.learning_rate = self.learning_rate if self.learning_rate is not None else d.get("learning_rate", 1e-3)
        s.schedule = self.schedule or d.get("schedule", "constant")
        s.augment = dict(self.augment if self.augment is not None else d.get("augment", {}))
        _check(isinstance(s.epochs, int) and 1 <= s.epochs <= 1000, f"Epochs must be 1 to 1000, not {s.epochs}.")
        _check(isinstance(s.batch_size, int) and 1 <= s.batch_size <= 8192,
               f"Batch size must be 1 to 8192, not {s.batch_size}.")
        _check(isinstance(s.learning_rate, (int, float)) and 0 < s.learning_rate <= 10 and math.isfinite(s.learning_rate),
               f"The learning rate must be a positive number up to 10, not {s.learning_rate}.")
        _check(s.optimizer in OPTIMIZERS, f"Optimizer must be one of {', '.join(OPTIMIZERS)}, not {s.optimizer!r}.")
        _check(s.schedule in SCHEDULES, f"Schedule must be one of {', '.join(SCHEDULES)}, not {s.schedule!r}.")
        _check(0 <= s.validation_fraction < 0.9, f"Validation fraction must be in [0, 0.9), not {s.validation_fraction}.")
        _check(isinstance(s.early_stopping, int) and 0 <= s.early_stopping <= 1000, "Early-stopping patience must be 0 to 1000.")
        _check(s.limit is None or (isinstance(s.limit, int) and s.limit >= 10), "A training limit must be at least 10 examples.")
        _check(s.mixed_precision in ("auto", "on", "off"), "Mixed precision must be auto, on or off.")
        for k, v in s.augment.items():
            top = {"rotation": 180.0, "shift": 0.5, "zoom": 0.5, "stroke": 1.0}.get(k)
            _check(top is not None, f"Unknown augmentation {k!r} (rotation, shift, zoom, stroke).")
            _check(isinstance(v, (int, float)) and 0 <= v <= top, f"Augmentation {k} must be 0 to {top}, not {v}.")
        if s.name is not None:
            registry.check_name(s.name)
        _check(all(src in drawn.SOURCES for src in s.pen_sources.split(",")),
               f"Pen sources must be among {', '.join(drawn.SOURCES)}, not {s.pen_sources!r}.")
        if s.init_from is not None:
            b = registry.inspect(s.init_from)  # raises BadModel for an unknown name
            _check(b.ok and b.card.get("architecture", {}).get("name") == s.arch,
                   f"{s.init_from} cannot seed a {s.arch}: {b.error or 'its architecture differs'}.")
        return s


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise BadSettings(message)


def _bad(message: str):
    raise BadSettings(message)


# ---------------------------------------------------------------- device
def device_info() -> dict:
    """The device training will use: backend, kind (gpu/cpu), a human name, how many."""
    import keras

    backend = keras.backend.backend()
    gpus: list[str] = []
    if backend == "jax":
        import jax

        gpus = [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    elif backend == "tensorflow":
        import tensorflow as tf

        for g in tf.config.list_physical_devices("GPU"):
            gpus.append(tf.config.experimental.get_device_details(g).get("device_name", g.name))
    elif backend == "torch":
        import torch

        gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    if gpus:
        return {"backend": backend, "kind": "gpu", "name": f"{len(gpus)} x {gpus[0]}" if len(gpus) > 1 else gpus[0],
                "count": len(gpus)}
    return {"backend": backend, "kind": "cpu", "name": f"CPU ({os.cpu_count()} cores, {platform.machine()})", "count": 0}


# ---------------------------------------------------------------- schedules and callbacks
def _one_cycle(peak: float, total_steps: int):
    import keras
    from keras import ops

    class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
        """Cosine warm-up from peak/25 over 30% of the steps, then cosine decay to peak/1e4."""

        def __call__(self, step):
            t = ops.cast(step, "float32") / float(max(total_steps, 1))
            warm = 0.3
            up = peak / 25 + (peak - peak / 25) * (1 - ops.cos(math.pi * ops.minimum(t / warm, 1.0))) / 2
            down = peak / 1e4 + (peak - peak / 1e4) * (1 + ops.cos(math.pi * ops.clip((t - warm) / (1 - warm), 0, 1))) / 2
            return ops.where(t < warm, up, down)

        def get_config(self):
            return {"peak": peak, "total_steps": total_steps}

    return OneCycle()


def _optimizer(s: Settings, steps_per_epoch: int):
    import keras

    lr = _one_cycle(s.learning_rate, s.epochs * steps_per_epoch) if s.schedule == "one-cycle" else s.learning_rate
    if s.optimizer == "adam":
        return keras.optimizers.Adam(lr)
    if s.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)


def _progress_callback(events: Events, cancel, steps: int, epochs: int, history: list, clock: dict):
    import keras

    class Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            clock["start"] = time.time()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch, self.t_epoch, self.t_emit = epoch, time.time(), 0.0

        def on_train_batch_end(self, batch, logs=None):
            if cancel and cancel():
                self.model.stop_training = True
                clock["cancelled"] = True
            now = time.time()
            if events and (now - self.t_emit > 0.5 or batch + 1 == steps):  # floats force a device sync
                self.t_emit = now
                done = self.epoch * steps + batch + 1
                rate = done / max(now - clock["start"], 1e-9)
                events({"event": "batch", "epoch": self.epoch + 1, "epochs": epochs, "batch": batch + 1,
                        "steps": steps, "loss": float(logs.get("loss", float("nan"))),
                        "accuracy": float(logs.get("accuracy", float("nan"))),
                        "eta_s": (epochs * steps - done) / rate})

        def on_epoch_end(self, epoch, logs=None):
            lr = self.model.optimizer.learning_rate
            row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items() if k != "learning_rate"},
                   "learning_rate": float(np.asarray(lr)), "seconds": time.time() - self.t_epoch}
            history.append(row)
            if events:
                events({"event": "epoch", **row, "epochs": epochs})

    return Progress()


# ---------------------------------------------------------------- data
def _training_arrays(s: Settings, ds: datasets.Dataset, events: Events):
    x, y = ds.train.x, ds.train.y
    if s.limit:
        x, y = x[:s.limit], y[:s.limit]
    xv = yv = None
    if s.validation_fraction > 0 and len(y) >= 20:
        rng = np.random.default_rng(s.seed)
        perm = rng.permutation(len(y))
        k = max(1, int(round(len(y) * s.validation_fraction)))
        xv, yv, x, y = x[perm[:k]], y[perm[:k]], x[perm[k:]], y[perm[k:]]
    pen_note = None
    if s.pen_strokes:
        if events:
            events({"event": "status", "message": "rendering the UNIPEN training writers' drawings"})
        parts = [drawn.select(drawn.rendered(src, ds.style), ds.classes, _case_insensitive(ds), writers="train")
                 for src in s.pen_sources.split(",")]
        px, py = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        if s.limit:
            px, py = px[:s.limit], py[:s.limit]
        pen_note = (f"plus {len(py):,} drawings (x{s.pen_repeat}) by the training writers of {s.pen_sources} "
                    f"(split by writer, drawn.py), rendered by the drawn-input protocol; drawn accuracy is "
                    f"measured only on the held-out writers")
        x = np.concatenate([x] + [px] * s.pen_repeat)
        y = np.concatenate([y] + [py] * s.pen_repeat)
    return x[..., None], y, (None if xv is None else xv[..., None]), yv, pen_note


def _case_insensitive(ds: datasets.Dataset) -> bool:
    """Layouts where a drawn lower-case letter counts as its upper-case class."""
    return len(ds.classes) in (26, 47)


# ---------------------------------------------------------------- drawn-input accuracy
def drawn_figures(predict, ds: datasets.Dataset) -> dict:
    """Drawn-input accuracy on writers never trained on: pendigits (digits) and UNIPEN held-out writers."""
    out = {}
    ci = _case_insensitive(ds)
    try:
        if set(datasets.DIGITS) <= set(ds.classes):
            x, y = drawn.select(drawn.rendered("pendigits", ds.style), ds.classes, ci, "heldout")
            out["pendigits_heldout_digits"] = {"accuracy": drawn.accuracy(predict, x, y), "n": int(len(y))}
        up = drawn.rendered("unipen", ds.style)
        for kind in ("digit", "letter"):
            x, y = drawn.select(up, ds.classes, ci, "heldout", kind)
            if len(y):
                out[f"unipen_heldout_{kind}s"] = {"accuracy": drawn.accuracy(predict, x, y), "n": int(len(y))}
    except DatasetMissing:
        pass
    return out


def headline_drawn(figures: dict) -> Optional[float]:
    for k in ("pendigits_heldout_digits", "unipen_heldout_letters", "unipen_heldout_digits"):
        if k in figures and not math.isnan(figures[k]["accuracy"]):
            return round(figures[k]["accuracy"], 4)
    return None


# ---------------------------------------------------------------- the whole run
def train(settings: Settings, events: Events = None, cancel: Optional[Callable[[], bool]] = None,
          command: Optional[str] = None) -> str:
    """Train, evaluate on the held-out test set, save a new bundle; returns its name.
    events receives dicts: status, batch, epoch, evaluation, done. Raises Cancelled when cancel() says so."""
    s = settings.resolved()  # every setting is checked before any work starts
    emit = events or (lambda e: None)
    emit({"event": "status", "message": f"loading {s.dataset}"})
    ds = datasets.load(s.dataset)
    import keras

    dev = device_info()
    emit({"event": "device", **dev})
    keras.utils.set_random_seed(s.seed)
    mixed = s.mixed_precision == "on" or (s.mixed_precision == "auto" and dev["kind"] == "gpu")
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if mixed else "float32")
    x, y, xv, yv, pen_note = _training_arrays(s, ds, emit)
    steps = math.ceil(len(y) / s.batch_size)

    n = len(ds.classes)
    core_model = zoo.build(s.arch, n)
    if s.init_from:  # fine-tuning: start from an existing bundle's weights
        core_model.set_weights(registry.load_model(s.init_from).get_weights())
    # The trainer wraps the pure model: uint8 in, scaled and augmented on the fly, never saved.
    inp = keras.Input((28, 28, 1), dtype="uint8", name="pixels_uint8")
    z = keras.layers.Rescaling(1 / 255.0, name="to_unit")(inp)
    if any(s.augment.values()):
        z = augmenter(s.augment, s.seed)(z)
    trainer = keras.Model(inp, core_model(z), name="trainer")
    trainer.compile(optimizer=_optimizer(s, steps), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    history: list[dict] = []
    clock: dict = {}
    callbacks = [_progress_callback(emit, cancel, steps, s.epochs, history, clock)]
    monitor = "val_loss" if xv is not None else "loss"
    if s.schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=2, min_lr=1e-6))
    if s.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=s.early_stopping,
                                                       restore_best_weights=True))
    emit({"event": "status", "message": f"training {s.arch} on {len(y):,} images for {s.epochs} epochs on {dev['name']}"})
    trainer.fit(x, y, batch_size=s.batch_size, epochs=s.epochs, shuffle=True, verbose=0,
                validation_data=None if xv is None else (xv, yv), callbacks=callbacks)
    if clock.get("cancelled"):
        raise Cancelled("training was cancelled; nothing was saved")
    train_seconds = time.time() - clock["start"]

    keras.mixed_precision.set_global_policy("float32")  # the saved model is plain float32
    final = zoo.build(s.arch, n)
    final.set_weights(core_model.get_weights())
    predict = registry.compiled_predict(final)
    emit({"event": "status", "message": "evaluating on the held-out test set"})
    probs = evaluation.batched(predict, ds.test.x)
    summary, mis = evaluation.evaluate(probs, ds.test.y, ds.classes)
    mis["images"] = ds.test.x[mis["index"]]
    train_acc = float(evaluation.batched(predict, ds.train.x[:10000]).argmax(1).__eq__(ds.train.y[:10000]).mean())
    figures = drawn_figures(predict, ds) if s.drawn_eval else {}
    emit({"event": "evaluation", "test_accuracy": summary["accuracy"], "drawn": figures})

    card = make_card(s, ds, final, dev, summary, figures, train_acc, train_seconds, len(y), pen_note, history, command)
    name = registry.save_bundle(final, card, history, summary, mis, name=s.name or f"{s.dataset}-{s.arch}")
    emit({"event": "done", "name": name, "test_accuracy": summary["accuracy"]})
    return name


def make_card(s: Settings, ds, model, dev, summary, figures, train_acc, seconds, n_train, pen_note, history, command):
    import keras

    a = zoo.get(s.arch)
    versions = {"python": platform.python_version(), "keras": keras.__version__, "backend": keras.backend.backend(),
                "numpy": np.__version__}
    try:
        if keras.backend.backend() == "jax":
            import jax
            versions["jax"] = jax.__version__
        else:
            import tensorflow as tf
            versions["tensorflow"] = tf.__version__
    except ImportError:
        pass
    trained_on = f"{ds.title}: {n_train:,} training images ({ds.provenance})"
    if pen_note:
        trained_on += "; " + pen_note
    return {
        "name": s.name or f"{s.dataset}-{s.arch}",
        "title": s.title or f"{a.title} · {ds.title}",
        "dataset": s.dataset,
        "classes": list(ds.classes),
        "preprocess": ds.style,
        "architecture": {"name": s.arch, "title": a.title, "kind": a.kind, "parameters": int(model.count_params()),
                         "layers": [l.name for l in model.layers]},
        "training": {**{k: v for k, v in asdict(s).items() if k not in ("name", "title")},
                     "epochs_run": len(history), "loss": "sparse categorical cross-entropy"},
        "data": {"trained_on": trained_on, "test_set": f"{ds.title} held-out test set: {summary['n']:,} images "
                 f"never used for training ({ds.provenance})", "provenance": ds.provenance},
        "train_accuracy": round(train_acc, 5),
        "test_accuracy": round(summary["accuracy"], 5),
        "test_n": summary["n"],
        "drawn_accuracy": headline_drawn(figures),
        "drawn": figures,
        "training_time_s": round(seconds, 1),
        "hardware": dev,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": versions,
        "command": command or "python -m core train " + " ".join(sys.argv[1:]),
    }
