"""Accuracy, per-class report, confusion matrix and misclassified examples of a model on a test set, and
`EvalView`, the browsing model of one evaluation (the Evaluation page and the insight views)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .. import registry
from ..errors import BadModel
from .input import from_uint8
from ..progress import ProgressCallback

MAX_MISCLASSIFIED = 2000  # kept in a bundle with their images, the most confident mistakes first


def batched(predict: Callable[[np.ndarray], np.ndarray], x_uint8: np.ndarray, batch: int = 1024,
            progress: ProgressCallback = None) -> np.ndarray:
    """Probabilities for uint8 images (N,28,28), in batches (float32 [0,1] conversion per batch)."""
    out = []
    for i in range(0, len(x_uint8), batch):
        out.append(np.asarray(predict(from_uint8(x_uint8[i:i + batch]))))
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
        summary, _ = evaluate(probs, y, classes)
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
