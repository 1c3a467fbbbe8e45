"""Several characters in one picture (a wide canvas, e.g. 840x380, or an upload), split from the ink:
connected strokes are found, then grouped by horizontal overlap, so an "i"'s dot or a "7"'s separate bar
stays with its character. Each piece is cut into a window like a single drawing's canvas and prepared by
preprocess.prepare, exactly like one drawing, so a piece reads as it would if drawn alone.
Characters that touch each other stay one piece (joined-up writing is not split)."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..model.preprocess import INK_THRESHOLD, Prepared, ink_map, prepare

MERGE_OVERLAP = 0.3  # of the narrower one's width: strokes that overlap this much belong together
MIN_PIECE_INK = 0.01  # pieces with less than this share of the ink are specks, not characters


@dataclass
class Piece:
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the picture's pixels (x1, y1 exclusive)
    prepared: Prepared  # what a model sees of this piece alone


def _components(ink: np.ndarray) -> list[tuple[int, int, int, int, int, np.ndarray]]:
    """(x0, y0, x1, y1, area, mask-of-label) of each connected blot of ink."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((ink > INK_THRESHOLD).astype(np.uint8), connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        out.append((x, y, x + w, y + h, area, labels == i))
    return out


def _groups(comps):
    """Components grouped left to right: one joins the current group when their horizontal spans overlap
    by MERGE_OVERLAP of the narrower span (a dot over its stem, a bar across a 7)."""
    groups: list[list] = []
    for c in sorted(comps, key=lambda c: c[0]):
        if groups:
            g = groups[-1]
            gx0, gx1 = min(m[0] for m in g), max(m[2] for m in g)
            overlap = min(gx1, c[2]) - max(gx0, c[0])
            if overlap > MERGE_OVERLAP * min(gx1 - gx0, c[2] - c[0]):
                g.append(c)
                continue
        groups.append([c])
    return groups


def split(picture: np.ndarray, style: str = "mnist") -> list[Piece]:
    """The characters of a picture, left to right ([] when it holds no ink)."""
    ink, _ = ink_map(picture)
    comps = _components(ink)
    total = sum(c[4] for c in comps)
    height, width = ink.shape
    pieces = []
    for g in _groups(comps):
        if sum(c[4] for c in g) < MIN_PIECE_INK * total:
            continue
        x0, y0 = min(c[0] for c in g), min(c[1] for c in g)
        x1, y1 = max(c[2] for c in g), max(c[3] for c in g)
        mask = np.logical_or.reduce([c[5] for c in g])
        # A window as tall as the picture and at least as wide, centred on the piece: the piece alone on
        # its own canvas, so prepare's size and coverage checks mean what they mean for one drawing.
        side = max(height, x1 - x0 + 2)
        left = (x0 + x1) // 2 - side // 2
        window = np.zeros((height, side), np.float32)
        src0, src1 = max(left, 0), min(left + side, width)
        cut = np.where(mask[:, src0:src1], ink[:, src0:src1], 0.0)
        window[:, src0 - left:src1 - left] = cut
        pieces.append(Piece((x0, y0, x1, y1), prepare(window, style)))
    return [p for p in pieces if p.prepared.x is not None]
