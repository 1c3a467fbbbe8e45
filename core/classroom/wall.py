"""The class wall's figures, from the stored drawings (no Streamlit): filters, sorting, counters, the
confusion matrix, the "Fool the model" game, and re-reading every drawing with another model."""
from __future__ import annotations

import threading
from typing import Optional

import numpy as np

from .store import MAX_DRAWINGS_PER_SESSION, Drawing, Store

LOW_CONFIDENCE = 0.6  # below this a prediction counts as unsure (the Draw page's warning too)
FOOL_CONFIDENCE = 0.5  # a fool: the model read another character than the student meant, and was this sure of it


class _Kept:
    def __init__(self):
        self.lock = threading.Lock()
        self.signature: tuple = ()
        self.rows: list[Drawing] = []


_kept: dict[tuple[str, Optional[int]], _Kept] = {}
_kept_lock = threading.Lock()


def live_rows(store: Store, session_id: Optional[int] = None) -> list[Drawing]:
    """The drawings of one session, oldest first, kept in this process between the wall's refreshes (every 2 s,
    on every screen that shows it). Each call asks the database for the session's signature only, and reads
    the drawings newer than those kept when the signature says that is all that changed; a deletion or a
    re-read reads them all again. Reading all 850 drawings took 20-80 ms of the server's Python, every refresh."""
    with _kept_lock:
        kept = _kept.setdefault((store.url, session_id), _Kept())
    with kept.lock:
        now = store.signature(session_id)
        if now == kept.signature:
            return kept.rows
        rows = None
        if kept.rows:  # most often: a few drawings sent since the last refresh
            rows = kept.rows + store.drawings(session_id=session_id, after_id=kept.rows[-1].id)
            if not _same(signature_of(rows), now):
                rows = None
        if rows is None:  # the newest, never more than a session keeps (an older database may hold more)
            rows = store.drawings(session_id=session_id, limit=MAX_DRAWINGS_PER_SESSION)
        kept.signature, kept.rows = now, rows[-MAX_DRAWINGS_PER_SESSION:]
        return kept.rows


def _same(a: tuple, b: tuple) -> bool:
    return a[:2] == b[:2] and abs(a[2] - b[2]) < 1e-4  # the database adds the confidences in its own order


def signature_of(rows: list[Drawing]) -> tuple[int, int, float]:
    """What Store.signature says of these drawings."""
    return len(rows), max((d.id for d in rows), default=0), round(float(sum(d.confidence for d in rows)), 6)


def is_fool(d: Drawing) -> bool:
    """A successful "Fool the model": the student meant one character, the model read another, fairly sure."""
    return not d.correct and d.confidence >= FOOL_CONFIDENCE


def filtered(rows: list[Drawing], misread: bool = False, low_confidence: bool = False, label: Optional[str] = None,
             student: Optional[str] = None) -> list[Drawing]:
    return [d for d in rows if (not misread or not d.correct) and (not low_confidence or d.confidence < LOW_CONFIDENCE)
            and (label is None or d.label == label) and (student is None or d.student == student)]


def ordered(rows: list[Drawing], order: str = "newest") -> list[Drawing]:
    """newest first, or 'mistakes': the most confident mistakes first (then the right answers, newest first)."""
    if order == "mistakes":
        return sorted(rows, key=lambda d: (d.correct, -d.confidence if not d.correct else -d.created))
    return sorted(rows, key=lambda d: -d.id)


def counters(rows: list[Drawing]) -> dict:
    n = len(rows)
    right = sum(d.correct for d in rows)
    return {"drawings": n, "students": len({d.student for d in rows}), "correct": right,
            "accuracy": right / n if n else None, "fools": sum(is_fool(d) for d in rows)}


def confusion(rows: list[Drawing]) -> tuple[list[str], np.ndarray]:
    """(labels, counts[meant, read]) over the labels that occur as meant or read, in the models' class order."""
    order = {}
    for d in rows:
        for i, c in enumerate(d.classes):
            order.setdefault(c, i)
    labels = sorted({d.label for d in rows} | {d.prediction for d in rows}, key=lambda c: (order.get(c, 999), c))
    at = {c: i for i, c in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), np.int64)
    for d in rows:
        m[at[d.label], at[d.prediction]] += 1
    return labels, m


def reread(store: Store, predict, model: str, classes: list[str], rows: list[Drawing]) -> dict:
    """Every drawing whose label the model knows read again by `predict` (a Predictor or compiled call) and
    stored; returns the accuracy before and after on those drawings."""
    usable = [d for d in rows if d.label in classes]
    if not usable:
        return {"n": 0, "before": None, "after": None}
    probs = np.asarray(predict(np.concatenate([d.x() for d in usable])))
    store.reread([(d.id, model, classes, p) for d, p in zip(usable, probs)])
    after = float(np.mean([classes[int(p.argmax())] == d.label for d, p in zip(usable, probs)]))
    return {"n": len(usable), "before": float(np.mean([d.correct for d in usable])), "after": after}
