"""Accuracy, per-class report, confusion matrix and misclassified examples of a model on a test set."""
from __future__ import annotations

from typing import Callable

import numpy as np

MAX_MISCLASSIFIED = 2000  # kept in a bundle with their images, the most confident mistakes first


def batched(predict: Callable[[np.ndarray], np.ndarray], x_uint8: np.ndarray, batch: int = 1024,
            progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Probabilities for uint8 images (N,28,28), in batches (float32 [0,1] conversion per batch)."""
    out = []
    for i in range(0, len(x_uint8), batch):
        xb = x_uint8[i:i + batch, ..., None].astype(np.float32) / 255.0
        out.append(np.asarray(predict(xb)))
        if progress:
            progress(min(i + batch, len(x_uint8)), len(x_uint8))
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    """Rows are true classes, columns predicted classes."""
    return np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n)


def report(cm: np.ndarray, classes: list[str]) -> dict:
    """Per-class precision, recall, F1 and support, with macro and weighted averages
    (the numbers sklearn's classification_report gives)."""
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1).astype(float)
    predicted = cm.sum(axis=0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    rows = {c: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support)}
    total = support.sum()
    w = support / total if total else support
    rows["macro avg"] = {"precision": float(precision.mean()), "recall": float(recall.mean()),
                         "f1": float(f1.mean()), "support": int(total)}
    rows["weighted avg"] = {"precision": float((precision * w).sum()), "recall": float((recall * w).sum()),
                            "f1": float((f1 * w).sum()), "support": int(total)}
    return rows


def most_confused(cm: np.ndarray, classes: list[str], k: int = 10) -> list[dict]:
    off = cm.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:k]
    return [{"true": classes[i], "predicted": classes[j], "count": int(off[i, j])}
            for i, j in zip(*np.unravel_index(order, off.shape)) if off[i, j] > 0]


def evaluate(probs: np.ndarray, y: np.ndarray, classes: list[str]) -> tuple[dict, dict]:
    """(summary for the card and pages, arrays of the misclassified examples' indices and probabilities)."""
    pred = probs.argmax(axis=1)
    cm = confusion(y, pred, len(classes))
    wrong = np.flatnonzero(pred != y)
    wrong = wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")][:MAX_MISCLASSIFIED]
    summary = {"accuracy": float((pred == y).mean()) if len(y) else float("nan"), "n": int(len(y)),
               "confusion": cm.tolist(), "report": report(cm, classes), "most_confused": most_confused(cm, classes)}
    mis = {"index": wrong.astype(np.int64), "true": y[wrong].astype(np.int64), "pred": pred[wrong].astype(np.int64),
           "probs": probs[wrong].astype(np.float16)}
    return summary, mis
