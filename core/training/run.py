"""Train one architecture on one dataset: settings checked up front, a uint8 input pipeline with
normalisation and augmentation on the fly, progress events, device choice, then evaluation on the
held-out test set and an atomic save of a new bundle.

Progress is reported through a callback of event dicts (events.Events); the worker writes them as JSON lines.
"""
from __future__ import annotations

import math
import os
import platform
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Callable, Optional

import numpy as np

from .. import config, datasets, registry
from ..datasets import drawn
from ..model import evaluation, zoo
from ..errors import DatasetMissing
from ..model.input import PIXEL
from . import cpu_share, estimate
from .augment import augmenter
from .events import Events
from .progress import event_reporter
from .settings import Settings, check


class Cancelled(Exception):
    """The job was asked to stop; nothing was saved."""


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


def trainer_for(core_model, augment: dict, seed: int):
    """The pure model wrapped for training: uint8 in, scaled to [0, 1] and augmented on the fly. Only
    `core_model` is saved, so neither the scaling nor the augmentation ends up in a bundle."""
    import keras

    inp = keras.Input((28, 28, 1), dtype="uint8", name="pixels_uint8")
    z = keras.layers.Rescaling(PIXEL, name="to_unit")(inp)
    if any(augment.values()):
        z = augmenter(augment, seed)(z)
    return keras.Model(inp, core_model(z), name="trainer")


def _replicas(dev: dict):
    """Several GPUs: data parallel (tf.distribute.MirroredStrategy on TensorFlow, Keras's DataParallel
    distribution on JAX). One device: nothing to do."""
    import contextlib

    import keras

    if dev["count"] <= 1:
        return contextlib.nullcontext()
    if dev["backend"] == "tensorflow":
        import tensorflow as tf

        return tf.distribute.MirroredStrategy().scope()
    if dev["backend"] == "jax":
        keras.distribution.set_distribution(keras.distribution.DataParallel())
    return contextlib.nullcontext()


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
        return keras.optimizers.Adam(lr, beta_1=s.adam_beta_1, beta_2=s.adam_beta_2)
    if s.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(lr)
    return keras.optimizers.SGD(lr, momentum=0.9, nesterov=True)


# ---------------------------------------------------------------- data
def images_trained_on(bundle: str, known: Optional[datasets.Dataset] = None, _depth: int = 0) -> Optional[set]:
    """The dataset images (datasets.image_keys) a bundle trained on, through its --init-from chain; None
    when one of those datasets is not on disk, so it cannot be told. `known`: a dataset already loaded."""
    training = registry.inspect(bundle).card.get("training", {})
    name = training.get("dataset")
    if not name or _depth > 8 or not (known and known.name == name or datasets.on_disk(name)):
        return None
    src = known if known and known.name == name else datasets.load(name, download=False)
    seen = datasets.image_keys(src.train.x)  # its validation images too: they may have steered it
    if training.get("emnist_sibling"):
        extra, _ = datasets.emnist_sibling_images(src)
        if extra is not None:
            seen |= datasets.image_keys(extra.x)
    if training.get("init_from"):
        parent = images_trained_on(training["init_from"], known, _depth + 1)
        if parent is None:
            return None
        seen |= parent
    return seen


def check_init_from(s: Settings, ds: datasets.Dataset) -> None:
    """Refuses to fine-tune from a bundle that trained on images of ds's held-out test set. The EMNIST
    re-splits cut different files (or the same file differently), so e.g. the letters model trained on
    about 9,300 of the byclass test images: starting from it would make byclass's test figure dishonest."""
    seen = images_trained_on(s.init_from, ds) if s.init_from else None
    if not seen:
        return
    leaked = sum(x.tobytes() in seen for x in ds.test.x)
    check(leaked == 0, f"{s.init_from} trained on {leaked:,} of the {len(ds.test.x):,} images held out to test "
                        f"{ds.name}; fine-tuning from it would overstate the test accuracy. Start from another "
                        f"bundle, or from scratch.")


def _training_arrays(s: Settings, ds: datasets.Dataset, events: Events):
    x, y = ds.train.x, ds.train.y
    if s.limit:
        x, y = x[:s.limit], y[:s.limit]
    xv = yv = None
    k = datasets.validation_count(len(y), s.validation_fraction)  # the one rule, also shown on the Datasets page
    if k:
        perm = np.random.default_rng(s.seed).permutation(len(y))
        xv, yv, x, y = x[perm[:k]], y[perm[:k]], x[perm[k:]], y[perm[k:]]
    notes = []
    if s.emnist_sibling:
        extra, note = datasets.emnist_sibling_images(ds)
        check(extra is not None, f"Cannot add sibling images: {note}.")
        x, y = np.concatenate([x, extra.x]), np.concatenate([y, extra.y])
        notes.append(note)
    if s.pen_strokes:
        if events:
            events({"event": "status", "message": "rendering the UNIPEN training writers' drawings"})
        parts = [drawn.select(drawn.rendered(src, ds.style), ds.classes, _case_insensitive(ds), writers="train")
                 for src in s.pen_sources.split(",")]
        px, py = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        if s.limit:
            px, py = px[:s.limit], py[:s.limit]
        notes.append(f"plus {len(py):,} drawings (x{s.pen_repeat}) by the training writers of {s.pen_sources} "
                    f"(split by writer, drawn.py), rendered by the drawn-input protocol; drawn accuracy is "
                    f"measured only on the held-out writers")
        x = np.concatenate([x] + [px] * s.pen_repeat)
        y = np.concatenate([y] + [py] * s.pen_repeat)
    return x[..., None], y, (None if xv is None else xv[..., None]), yv, "; ".join(notes) or None


def prior_shift(trained: np.ndarray, target: np.ndarray, n: int) -> np.ndarray:
    """log(p_target / p_trained) per class. Added to the logits, it makes a model trained on one class
    balance predict as if trained on another (logit adjustment). The sibling images change the balance:
    those added to byclass hold none of bymerge's merged letters (c/C, o/O, ...), so without it the model
    under-predicts them (about 0.8 points of ByClass test accuracy)."""
    def prior(labels):  # add-one smoothed, so a class absent from one side stays finite
        return (np.bincount(labels, minlength=n) + 1) / (len(labels) + n)
    return np.log(prior(target)) - np.log(prior(trained))


def _shift_to_dataset_balance(model, trained_labels: np.ndarray, ds: datasets.Dataset) -> str:
    """Adds prior_shift to the model's logits bias (every zoo model ends in a Dense "logits"); returns
    the card's note on it."""
    shift = prior_shift(trained_labels, ds.train.y, len(ds.classes))
    logits = model.get_layer("logits")
    kernel, bias = logits.get_weights()
    logits.set_weights([kernel, bias + shift])
    top = np.argsort(-np.abs(shift))[:3]
    classes = ds.classes
    return ("output shifted back to the dataset's own class balance (logit adjustment by log(p_dataset / "
            "p_training); largest: " + ", ".join(f"{classes[i]} {shift[i]:+.2f}" for i in top) + ")")


def _case_insensitive(ds: datasets.Dataset) -> bool:
    """Layouts where a drawn lower-case letter counts as its upper-case class."""
    return len(ds.classes) in (26, 47)


def _batches(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, seed: int):
    """What fit reads: on TensorFlow a tf.data pipeline of our own (a shuffled order of indices each
    epoch, each batch gathered from the uint8 arrays) with tf.data's autotuning off; elsewhere the arrays.
    Keras's own pipeline for arrays autotunes, and on a busy 2-core CPU its autotuning thread held the
    iterator's destruction at the end of fit for 7-30 s in some runs (gdb: RootDataset::~Iterator waiting
    for Model::OptimizeLoop): the ~7 s "not training" of the Quick preset. Two batches are prepared ahead."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return x, y
    import tensorflow as tf

    xs, ys = tf.constant(x), tf.constant(y)
    order = tf.data.Dataset.range(len(y))
    if shuffle:
        order = order.shuffle(len(y), seed=seed, reshuffle_each_iteration=True)
    ds = order.batch(batch_size).map(lambda i: (tf.gather(xs, i), tf.gather(ys, i))).prefetch(2)
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.with_options(options)


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
    """Train, evaluate on the held-out test set, save a new bundle; returns its name. In the order the data
    flows: load, build, compile, fit, evaluate, save. `events` receives dicts: status, device, batch, epoch,
    evaluation, then done (right after the save). Raises Cancelled when cancel() says so, up to the save.
    The bundle's map (insight) is its callers' to draw: the job worker's and the CLI's."""
    started = time.time()
    s = settings.resolved()  # every setting is checked before any work starts
    config.map_points()  # and so is the size of the map drawn at the end (HWLAB_MAP_POINTS)
    emit = events or (lambda e: None)

    def stop_if_cancelled():
        if cancel and cancel():
            raise Cancelled("training was cancelled; nothing was saved")

    # ---- load: the dataset by name (the class's drawings come mixed with the starting model's own data)
    emit({"event": "status", "message": f"loading {s.dataset}"})
    ds = datasets.load(s.dataset, init_from=s.init_from, room=s.class_room)  # class-drawings: that room's
    s = settings.resolved(n_train=len(ds.train))  # a small dataset's suggestions (a --limit try keeps the large one's)
    check_init_from(s, ds)  # before any work: a leak would make the test figure dishonest
    stop_if_cancelled()
    import keras

    dev = device_info()
    emit({"event": "device", **dev})
    keras.utils.set_random_seed(s.seed)
    mixed = s.mixed_precision == "on" or (s.mixed_precision == "auto" and dev["kind"] == "gpu")
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if mixed else "float32")
    x, y, xv, yv, extra_note = _training_arrays(s, ds, emit)
    stop_if_cancelled()
    batch_size = s.batch_size
    if dev["count"] > 1:  # data parallel: every batch (the last one too) splits evenly over the GPUs
        batch_size = math.ceil(batch_size / dev["count"]) * dev["count"]
        x, y = x[:len(y) - len(y) % dev["count"]], y[:len(y) - len(y) % dev["count"]]
        if xv is not None:
            xv, yv = xv[:len(yv) - len(yv) % dev["count"]], yv[:len(yv) - len(yv) % dev["count"]]
    steps = math.ceil(len(y) / batch_size)
    n = len(ds.classes)

    with _replicas(dev):
        # ---- build: the architecture, its starting weights, the layers that train, the uint8 wrapper
        core_model = zoo.build(s.arch, n)
        if s.init_from:
            _start_from(core_model, s.init_from)
        if s.train_last:  # fine-tuning the top only: frozen layers also skip the backward pass
            for layer in [lay for lay in core_model.layers if lay.weights][:-s.train_last]:
                layer.trainable = False
        trainer = trainer_for(core_model, s.augment, s.seed)
        # ---- compile
        trainer.compile(optimizer=_optimizer(s, steps), loss="sparse_categorical_crossentropy",
                        metrics=["accuracy"])

    # ---- fit
    history: list[dict] = []
    clock: dict = {}
    emit({"event": "status",
          "message": f"training {s.arch} on {len(y):,} images for {plural(s.epochs, 'epoch')} on {dev['name']}"})
    try:
        trainer.fit(_batches(x, y, batch_size, True, s.seed), epochs=s.epochs, verbose=0,
                    validation_data=None if xv is None else _batches(xv, yv, batch_size, False, s.seed),
                    callbacks=_callbacks(s, dev, emit, cancel, steps, history, clock, validating=xv is not None))
    finally:
        if dev["count"] > 1 and keras.backend.backend() == "jax":
            keras.distribution.set_distribution(None)
    if clock.get("cancelled"):
        raise Cancelled("training was cancelled; nothing was saved")
    train_seconds = time.time() - clock["start"]

    # ---- evaluate: the plain float32 model that is saved, on the held-out test set
    keras.mixed_precision.set_global_policy("float32")
    final = zoo.build(s.arch, n)
    final.set_weights(core_model.get_weights())
    if s.prior_correction:
        extra_note = "; ".join(filter(None, [extra_note, _shift_to_dataset_balance(final, y, ds)]))
    from ..model.compiled import compiled_predict

    fit_end = time.time()  # the parts of the run, for the Train page's estimate (train_estimate.PARTS)
    predict = compiled_predict(final)
    emit({"event": "status", "message": "evaluating on the held-out test set"})
    probs = evaluation.batched(predict, ds.test.x)
    summary, mis = evaluation.evaluate(probs, ds.test.y, ds.classes)
    mis["images"] = ds.test.x[mis["index"]]
    train_acc = float(evaluation.batched(predict, ds.train.x[:10000]).argmax(1).__eq__(ds.train.y[:10000]).mean())
    evaluated = time.time()
    rendering = drawn.render_missing(("pendigits", "unipen"), ds.style, lambda m: emit({"event": "status", "message": m})
                                     ) if s.drawn_eval else 0.0  # once on a machine: not a part of the run
    figures = drawn_figures(predict, ds) if s.drawn_eval else {}
    drawn_done = time.time()
    emit({"event": "evaluation", "test_accuracy": summary["accuracy"], "drawn": figures})

    # ---- save
    card = make_card(s, ds, final, dev, summary, figures, train_acc, train_seconds, len(y), extra_note, history, command)
    stop_if_cancelled()  # the last moment a cancel is honoured: from here the bundle is written atomically
    name = registry.save_bundle(final, card, history, summary, mis, name=s.name or zoo.bundle_name(s.dataset, s.arch))
    emit({"event": "done", "name": name, "test_accuracy": summary["accuracy"]})  # at once: the bundle is there
    if clock.get("batches_per_s"):  # this machine's rate and what the rest of the run cost, for the estimate
        images_per_s = clock["batches_per_s"] * batch_size
        traced = fit_end - clock["start"] - len(y) * len(history) / images_per_s  # the fit beyond the images
        estimate.record(s.arch, images_per_s, {
            "start_s": max(clock["start"] - started + traced, 0.0), "evaluate_s": evaluated - fit_end,
            "drawn_s": drawn_done - evaluated - rendering if s.drawn_eval else None, "save_s": time.time() - drawn_done})
    return name


def _start_from(core_model, init_from: str) -> None:
    """Fine-tuning: the weights of the bundle `init_from`; transfer learning when the classes differ (every
    layer but the output layer, whose shape differs)."""
    source = registry.load_model(init_from)
    for layer in core_model.layers:
        same_shape = [w.shape for w in layer.weights] == [w.shape for w in source.get_layer(layer.name).weights]
        if layer.weights and same_shape:
            layer.set_weights(source.get_layer(layer.name).get_weights())


def _callbacks(s: Settings, dev: dict, emit, cancel, steps: int, history: list, clock: dict, validating: bool):
    """The fit's callbacks: events and the cancel check, the step aside beside the app, the schedule."""
    import keras

    callbacks = [event_reporter(emit, cancel, steps, s.epochs, history, clock)]
    if dev["kind"] == "cpu" and cpu_share.sharing():  # a job beside the app: it steps aside while the class draws
        callbacks.append(cpu_share.throttle_callback())
    monitor = "val_loss" if validating else "loss"
    if s.schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=2, min_lr=1e-6))
    if s.early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=s.early_stopping,
                                                       restore_best_weights=True))
    return callbacks


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def make_card(s: Settings, ds, model, dev, summary, figures, train_acc, seconds, n_train, extra_note, history, command):
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
    # n_train counts every training example; the pen-stroke note says how many of them are drawings
    trained_on = f"{ds.title} ({ds.provenance}): {n_train:,} training examples in all"
    if extra_note:
        trained_on += "; " + extra_note
    return {
        "name": s.name or zoo.bundle_name(s.dataset, s.arch),
        "title": s.title or a.title.split(":")[0],  # short, for the picker (which groups by dataset)
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
