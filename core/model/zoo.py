"""Every architecture by name. Each builder returns an uncompiled keras.Model that starts with
keras.Input((28, 28, 1)) (float32 in [0, 1], white on black) and ends with softmax probabilities.
Augmentation is never part of these models: it lives in the training pipeline (core/training/run.py)."""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from typing import Callable

import keras
from keras import layers, regularizers

INPUT_SHAPE = (28, 28, 1)


@dataclass(frozen=True)
class Arch:
    name: str
    title: str  # "short name: details"; the short name titles a new model (core/training/run.py), a picker's line
    build: Callable[[int], keras.Model]
    defaults: dict = field(default_factory=dict)  # training settings that suit it (see training.Settings)
    kind: str = "cnn"  # "linear", "mlp" or "cnn": how the insight pages show its weights


def _model(name: str, body: Callable, n: int) -> keras.Model:
    inp = keras.Input(INPUT_SHAPE, name="image")
    x = body(inp)
    x = layers.Dense(n, name="logits")(x)
    out = layers.Activation("softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inp, out, name=name)


def _conv_bn(x, filters, size, name, strides=1, padding="same"):
    x = layers.Conv2D(filters, size, strides=strides, padding=padding, use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def logreg(penalty: str):
    reg = {"l1": regularizers.L1(2e-5), "l2": regularizers.L2(1e-4),
           "elasticnet": regularizers.L1L2(l1=1e-5, l2=5e-5)}[penalty]

    def build(n):
        inp = keras.Input(INPUT_SHAPE, name="image")
        x = layers.Flatten(name="pixels")(inp)
        x = layers.Dense(n, kernel_regularizer=reg, name="logits")(x)
        return keras.Model(inp, layers.Activation("softmax", dtype="float32", name="probabilities")(x),
                           name=f"logreg_{penalty}")
    return build


def mlp(dropout: float):
    def body(x):
        x = layers.Flatten(name="pixels")(x)
        for i, units in enumerate((256, 128, 64, 32)):
            x = layers.Dense(units, activation="relu", name=f"dense{i + 1}")(x)
            if dropout:
                x = layers.Dropout(dropout, name=f"dropout{i + 1}")(x)
        return x
    return lambda n: _model("mlp_dropout" if dropout else "mlp", body, n)


def seed000_cnn1(n):
    def body(x):
        x = layers.Conv2D(32, 3, activation="relu", name="conv1")(x)
        x = layers.MaxPooling2D(name="pool1")(x)
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(512, activation="relu", name="dense1")(x)
        return layers.Dense(128, activation="relu", name="dense2")(x)
    return _model("seed000_cnn1", body, n)


def seed000_cnn2(n):
    def body(x):
        x = layers.Conv2D(64, 3, activation="relu", name="conv1")(x)
        x = layers.Conv2D(64, 3, activation="relu", name="conv2")(x)
        x = layers.MaxPooling2D(name="pool1")(x)
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(512, activation="relu", name="dense1")(x)
        return layers.Dense(128, activation="relu", name="dense2")(x)
    return _model("seed000_cnn2", body, n)


def seed002_cnn(n):  # the keras-io "simple MNIST convnet"
    def body(x):
        x = layers.Conv2D(32, 3, activation="relu", name="conv1")(x)
        x = layers.MaxPooling2D(name="pool1")(x)
        x = layers.Conv2D(64, 3, activation="relu", name="conv2")(x)
        x = layers.MaxPooling2D(name="pool2")(x)
        x = layers.Flatten(name="flatten")(x)
        return layers.Dropout(0.5, name="dropout")(x)
    return _model("seed002_cnn", body, n)


def seed004_cnn(n):
    def body(x):
        x = layers.Conv2D(32, 7, padding="same", activation="relu", name="conv1")(x)
        x = layers.MaxPooling2D(name="pool1")(x)
        x = layers.Conv2D(48, 5, padding="same", activation="relu", name="conv2")(x)
        x = layers.MaxPooling2D(name="pool2")(x)
        x = layers.Dropout(0.3, name="dropout1")(x)
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(128, activation="relu", name="dense1")(x)
        return layers.Dropout(0.3, name="dropout2")(x)
    return _model("seed004_cnn", body, n)


def _deep_bn(width: int, name: str):
    def build(n):
        def body(x):
            for b, f in enumerate((width, 2 * width)):
                x = _conv_bn(x, f, 3, f"b{b + 1}a")
                x = _conv_bn(x, f, 3, f"b{b + 1}b")
                x = _conv_bn(x, f, 5, f"b{b + 1}c", strides=2)
                x = layers.Dropout(0.4, name=f"b{b + 1}_dropout")(x)
            x = _conv_bn(x, 4 * width, 4, "b3", padding="valid")
            x = layers.Flatten(name="flatten")(x)
            return layers.Dropout(0.4, name="dropout")(x)
        return _model(name, body, n)
    return build


def quicknet(n):
    """A small CNN for one pass over MNIST (the Quick preset): three batch-normalised stages of 16, 32 and 64
    filters. The first is a 6x6 convolution with stride 2 (28 -> 14): at full resolution a 3x3 convolution of
    one input channel and its 28x28x16 outputs (memory, not arithmetic, on a CPU) were a third of a training
    step. The second is 3x3, max-pooled 2x2 (14 -> 7) right after it, before its batch norm and ReLU (a quarter
    of the values to normalise: Keras's batch norm is unfused on a CPU); the third is 3x3 at 7x7, then the
    7x7x64 features. Batch norm's running statistics follow fast (momentum 0.9): one epoch is only a few
    hundred updates. The choices are measured in benchmarks/train_speed.py's notes."""
    def bn_relu(x, i):
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
        return layers.Activation("relu", name=f"relu{i}")(x)

    def body(x):
        x = bn_relu(layers.Conv2D(16, 6, strides=2, padding="same", use_bias=False, name="conv1")(x), 1)
        x = layers.Conv2D(32, 3, padding="same", use_bias=False, name="conv2")(x)
        x = bn_relu(layers.MaxPooling2D(name="pool2")(x), 2)
        x = bn_relu(layers.Conv2D(64, 3, padding="same", use_bias=False, name="conv3")(x), 3)
        return layers.Flatten(name="flatten")(x)
    return _model("quicknet", body, n)


_SEED_AUG = {"rotation": 10.0, "shift": 0.1, "zoom": 0.1}
_DRAW_AUG = {"rotation": 12.0, "shift": 0.1, "zoom": 0.12, "stroke": 0.5}
ARCHS: dict[str, Arch] = {a.name: a for a in [
    Arch("logreg_l2", "Logistic regression, L2 penalty", logreg("l2"),
         {"epochs": 20, "learning_rate": 1e-3, "augment": {}}, "linear"),
    Arch("logreg_l1", "Logistic regression, L1 penalty", logreg("l1"),
         {"epochs": 20, "learning_rate": 1e-3, "augment": {}}, "linear"),
    Arch("logreg_elasticnet", "Logistic regression, L1+L2: elastic-net penalty", logreg("elasticnet"),
         {"epochs": 20, "learning_rate": 1e-3, "augment": {}}, "linear"),
    Arch("mlp", "MLP 256-128-64-32", mlp(0.0), {"epochs": 20, "augment": {}}, "mlp"),
    Arch("mlp_dropout", "MLP with dropout: 256-128-64-32, dropout 0.3", mlp(0.3), {"epochs": 30, "augment": {}}, "mlp"),
    Arch("seed000_cnn1", "Small CNN: one convolution of 32, dense 512-128", seed000_cnn1, {"epochs": 10, "augment": {}}),
    Arch("seed000_cnn2", "CNN: two convolutions of 64, dense 512-128", seed000_cnn2, {"epochs": 10, "augment": {}}),
    Arch("seed002_cnn", "Keras example CNN: 2 convolutions, dropout", seed002_cnn, {"epochs": 15, "augment": {}}),
    Arch("seed004_cnn", "Wide-filter CNN: 7x7 and 5x5 convolutions, dense 128", seed004_cnn, {"epochs": 15, "augment": {}}),
    Arch("seed004_cnn_aug", "Wide-filter CNN, augmented: shifts, turns and zoom", seed004_cnn, {"epochs": 30, "augment": _SEED_AUG}),
    Arch("seed003_deep_bn", "Deep CNN, batch norm: Kaggle-style, augmented", _deep_bn(32, "seed003_deep_bn"),
         {"epochs": 30, "augment": _SEED_AUG}),
    Arch("hwnet", "HWNet (ours): deep CNN with batch norm, drawing-style augmentation", _deep_bn(48, "hwnet"),
         {"epochs": 40, "schedule": "one-cycle", "learning_rate": 3e-3, "augment": _DRAW_AUG}),
    # The Quick preset (train_settings.PRESETS): 99% MNIST in one epoch (benchmarks/train_speed.py). The
    # one-cycle recipe of the public "MNIST in one epoch" runs (Adam at 1e-2, betas 0.7/0.9), at batch 128:
    # twice the updates of batch 256 in one epoch, at the same speed per image on a CPU (train_speed's notes).
    Arch("quicknet", "QuickNet: a small batch-normalised CNN that learns MNIST in one pass", quicknet,
         {"epochs": 1, "batch_size": 128, "learning_rate": 1e-2, "schedule": "one-cycle", "adam_beta_1": 0.7,
          "adam_beta_2": 0.9, "augment": {}}),
    # The Draw page's default: two thirds of HWNet's width, about 0.7x its time per drawing on a 2-core
    # CPU (benchmarks/latency.py), so preprocess + model stays far below model.predict's overhead.
    Arch("hwnet_lite", "HWNet-lite (ours): HWNet at two thirds of the width, fast", _deep_bn(32, "hwnet_lite"),
         {"epochs": 12, "schedule": "one-cycle", "learning_rate": 3e-3, "augment": _DRAW_AUG}),
]}


def get(name: str) -> Arch:
    if name not in ARCHS:
        from ..errors import BadSettings
        raise BadSettings(f"Unknown architecture {name!r}. Known: {', '.join(ARCHS)}.")
    return ARCHS[name]


def build(name: str, num_classes: int) -> keras.Model:
    return get(name).build(num_classes)


@functools.lru_cache(maxsize=None)
def fingerprint(name: str) -> str:
    """A short id of what `name` builds in this version of the code (its layers, their shapes and its size):
    a training rate measured on an earlier version of an architecture is not this one's (training/estimate.py)."""
    m = build(name, 10)
    text = json.dumps([[type(l).__name__, l.name, str(l.output.shape)] for l in m.layers] + [m.count_params()])
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def bundle_name(dataset: str, arch: str) -> str:
    """A new bundle's default name, in the words of its title ("sklearn-digits-small-cnn", not the architecture's
    id "sklearn-digits-seed000_cnn1"): the title before its colon, without brackets, as a slug."""
    import re

    words = re.sub(r"\(.*?\)", "", get(arch).title.split(":")[0])
    slug = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-") or arch
    return f"{dataset}-{slug}"[:80]
