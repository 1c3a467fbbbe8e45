"""The model's input, one convention for every model: float32 (N, 28, 28, 1) in [0, 1], white ink on black,
upright. The datasets, the class database and the map keep pictures as uint8 (N, 28, 28); these are the two
conversions between the forms, and the check that a picture is one 28x28 image (errors.BadImage, a
sentence). Training does the same scaling inside its model (training/run.trainer_for, Rescaling(PIXEL))."""
from __future__ import annotations

import numpy as np

from ..errors import BadImage

PIXEL = 1 / 255  # one uint8 step on the model's [0, 1] scale


def from_uint8(x: np.ndarray) -> np.ndarray:
    """uint8 pictures (N, 28, 28), or one (28, 28), as the model's input: float32 (N, 28, 28, 1) in [0, 1]."""
    a = np.asarray(x)
    if a.ndim == 2:
        a = a[None]
    return a[..., None].astype(np.float32) / 255.0


def to_float(x: np.ndarray) -> np.ndarray:
    """Any picture array on the model's [0, 1] float32 scale, its shape kept (uint8 is scaled, floats kept)."""
    a = np.asarray(x)
    return a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Model input in [0, 1] back to uint8 pictures (rounded, clipped), without the channel axis."""
    a = np.asarray(x, np.float32)
    if a.ndim >= 3 and a.shape[-1] == 1:
        a = a[..., 0]
    return np.clip(np.round(a * 255), 0, 255).astype(np.uint8)


def one_image(x: np.ndarray) -> np.ndarray:
    """One picture as the model's input, float32 (1, 28, 28, 1) in [0, 1]; accepts (28, 28), (28, 28, 1),
    (1, 28, 28) and (1, 28, 28, 1), uint8 or float. Raises BadImage for anything else."""
    a = to_float(x)
    if a.size != 28 * 28:
        raise BadImage(f"A model takes one 28x28 image; got an array of shape {a.shape}.")
    return a.reshape(1, 28, 28, 1)
