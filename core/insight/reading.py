"""Reading a picture of several characters: split it (segment.py), read every piece with one model in one
batch, and say where the top answers are look-alikes (lookalikes.py)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import registry
from .lookalikes import look_alikes
from .segment import Piece, split
from .top import TopAnswers


@dataclass
class Character(TopAnswers):
    piece: Piece
    top: list[tuple[str, float]]
    lookalikes: list[str]  # the winner and its look-alike runners-up, or []

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.piece.box


@dataclass
class Reading:
    characters: list[Character]

    @property
    def text(self) -> str:
        return "".join(c.label for c in self.characters)


def read(pred: registry.Predictor, picture: np.ndarray) -> Reading:
    pieces = split(picture, pred.style)
    if not pieces:
        return Reading([])
    probs = pred(np.concatenate([p.prepared.x for p in pieces]))
    tops = [pred.top(row, 3) for row in probs]
    return Reading([Character(p, t, look_alikes(t)) for p, t in zip(pieces, tops)])
