"""Kaggle's Digit Recognizer submission.csv: a model's digit for every image of test.csv
(`ImageId,Label`, ImageId from 1). Reading test.csv is the dataset's job (core/datasets/kaggle.py)."""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Callable, Union

import numpy as np

from .. import atomic, registry
from ..datasets.base import DIGITS
from ..datasets.kaggle import Readable, read_csv
from ..errors import BadModel, HWLabError
from .evaluation import batched
from ..progress import ProgressCallback


def digit_columns(classes: list[str]) -> list[int]:
    """Indices of the classes 0..9 in a model's classes; BadModel when it does not predict all ten digits."""
    classes = [str(c) for c in classes]
    missing = [d for d in DIGITS if d not in classes]
    if missing:
        raise BadModel(f"This model predicts {len(classes)} classes ({', '.join(classes[:8])}"
                       f"{', ...' if len(classes) > 8 else ''}) without the digits {', '.join(missing)}: a Digit "
                       f"Recognizer submission needs a model that knows the digits 0-9.")
    return [classes.index(d) for d in DIGITS]


def predict_digits(predict: Callable[[np.ndarray], np.ndarray], classes: list[str], x: np.ndarray,
                   progress: ProgressCallback = None) -> np.ndarray:
    """The digit (0..9) a model gives each uint8 image; a model with more classes than digits (EMNIST
    47/62) is read over its digit classes only."""
    cols = digit_columns(classes)
    probs = batched(predict, x, progress=progress)
    return probs[:, cols].argmax(axis=1).astype(np.int64)


def submission_bytes(labels: np.ndarray) -> bytes:
    """submission.csv: `ImageId,Label`, ImageId from 1, one row per test image in order."""
    buf = io.StringIO()
    buf.write("ImageId,Label\n")
    for i, lab in enumerate(np.asarray(labels).tolist(), start=1):
        buf.write(f"{i},{int(lab)}\n")
    return buf.getvalue().encode()


def write_submission(model: str, csv: Readable, out: Union[str, os.PathLike],
                     progress: ProgressCallback = None) -> dict:
    """Predict every image of a test.csv with the model bundle `model` and write `out` (atomically)."""
    bundle = registry.inspect(model)
    if not bundle.ok:
        raise BadModel(bundle.error)
    digit_columns([str(c) for c in bundle.card["classes"]])  # from the card: fail before parsing a big file
    data = read_csv(csv, "test")  # a bad file is said before TensorFlow and the model are loaded
    pred = registry.Predictor(model)
    labels = predict_digits(pred, pred.classes, data.x, progress)
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(out, submission_bytes(labels))
    except OSError as exc:
        raise HWLabError(f"Cannot write {out}: {exc.strerror or exc}.") from None
    return {"model": model, "rows": int(len(labels)), "out": str(out),
            "counts": np.bincount(labels, minlength=10).tolist()}
