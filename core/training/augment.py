"""On-the-fly augmentation for training, written in keras.ops so that it runs compiled on every
backend (TensorFlow on the CPU, JAX on a GPU). Keras's own RandomRotation/RandomZoom layers run
orders of magnitude slower under JAX on a GPU (keras-team/keras#23229), so one random affine map
per image (rotation, zoom, shift) is sampled bilinearly here with gathers. The augmenter is wrapped
around a model only while training (run.py) and never saved inside a bundle."""
from __future__ import annotations

import math

import keras
from keras import layers, ops

SIZE = 28


class Augment(layers.Layer):
    """rotation in degrees, shift and zoom as fractions of the image, stroke: see _stroke_width."""

    def __init__(self, rotation=0.0, shift=0.0, zoom=0.0, stroke=0.0, seed=None, **kw):
        super().__init__(**kw)
        self.rotation, self.shift, self.zoom, self.stroke = float(rotation), float(shift), float(zoom), float(stroke)
        self.seed_gen = keras.random.SeedGenerator(seed)

    def _uniform(self, n, r):
        return keras.random.uniform((n, 1, 1), -r, r, seed=self.seed_gen)

    def call(self, x, training=False):
        if not training:
            return x
        n = ops.shape(x)[0]
        if self.rotation or self.shift or self.zoom:
            x = self._affine(x, n)
        if self.stroke:
            x = self._stroke_width(x, n)
        return x

    def _affine(self, x, n):
        theta = self._uniform(n, self.rotation * math.pi / 180.0)
        scale = 1.0 + self._uniform(n, self.zoom)
        tx, ty = self._uniform(n, self.shift * SIZE), self._uniform(n, self.shift * SIZE)
        c = (SIZE - 1) / 2.0
        grid = ops.cast(ops.arange(SIZE), "float32") - c
        u = ops.reshape(grid, (1, 1, SIZE)) - tx  # output column, centred, minus the shift
        v = ops.reshape(grid, (1, SIZE, 1)) - ty
        cos, sin = ops.cos(theta), ops.sin(theta)
        xs = (cos * u + sin * v) / scale + c  # where each output pixel samples the input
        ys = (-sin * u + cos * v) / scale + c
        flat = ops.reshape(ops.cast(x, "float32"), (n, SIZE * SIZE))
        x0, y0 = ops.floor(xs), ops.floor(ys)
        out = 0.0
        for dx in (0.0, 1.0):
            for dy in (0.0, 1.0):
                xi, yi = x0 + dx, y0 + dy
                w = (1.0 - ops.abs(xs - xi)) * (1.0 - ops.abs(ys - yi))
                inside = (xi >= 0) & (xi <= SIZE - 1) & (yi >= 0) & (yi <= SIZE - 1)
                idx = ops.cast(ops.clip(yi, 0, SIZE - 1) * SIZE + ops.clip(xi, 0, SIZE - 1), "int32")
                vals = ops.take_along_axis(flat, ops.reshape(idx, (n, SIZE * SIZE)), axis=1)
                out = out + ops.where(inside, w, 0.0) * ops.reshape(vals, (n, SIZE, SIZE))
        return ops.cast(ops.expand_dims(out, -1), x.dtype)

    def _stroke_width(self, x, n):
        """Thicken or thin the ink by a random amount a per image: x + a (dilate(x) - x) for a > 0,
        x + |a| (erode(x) - x) for a < 0. Drawings made with one pen width then meet every width."""
        a = ops.expand_dims(self._uniform(n, self.stroke), -1)
        dil = ops.max_pool(x, 3, strides=1, padding="same")
        ero = -ops.max_pool(-x, 3, strides=1, padding="same")
        return ops.where(a > 0, x + a * (dil - x), x - a * (ero - x))


def augmenter(aug: dict, seed: int) -> Augment:
    return Augment(**{k: aug.get(k, 0.0) for k in ("rotation", "shift", "zoom", "stroke")}, seed=seed, name="augment")
