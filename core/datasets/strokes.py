"""Pen trajectories -> what the drawing canvas hands to Python (the drawn-input protocol of
shared/datasets/pen-strokes/README.md): a 280x280 RGBA image, opaque black, white ink 18 px wide
with round caps and joins, anti-aliased; y flipped; the glyph's longer side s*280 with s uniform in
[0.45, 0.85], placed uniformly at random with the ink at least 11 px from the edges; the generator
seeded with the sample's line index (random.Random(i) draws s, then x, then y)."""
from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageDraw

CANVAS = 280
WIDTH = 18
SUPERSAMPLE = 4


def render(strokes, index: int, width: int = WIDTH, canvas: int = CANVAS) -> np.ndarray:
    """The (canvas, canvas, 4) uint8 RGBA picture of one sample, placed by random.Random(index)."""
    rng = random.Random(index)
    flat = np.array([p for s in strokes for p in s], dtype=np.float64)
    flat[:, 1] = -flat[:, 1]  # the sources' y axis points up
    lo = flat.min(axis=0)
    span = max(float((flat.max(axis=0) - lo).max()), 1e-6)
    scale = rng.uniform(0.45, 0.85) * canvas / span
    w_box, h_box = (flat.max(axis=0) - lo) * scale
    margin = width / 2 + 2
    ox = rng.uniform(margin, max(margin, canvas - margin - w_box))
    oy = rng.uniform(margin, max(margin, canvas - margin - h_box))
    big = Image.new("L", (canvas * SUPERSAMPLE,) * 2, 0)
    pen = ImageDraw.Draw(big)
    r = width * SUPERSAMPLE / 2
    for stroke in strokes:
        pts = [(((x - lo[0]) * scale + ox) * SUPERSAMPLE, ((-y - lo[1]) * scale + oy) * SUPERSAMPLE) for x, y in stroke]
        if len(pts) > 1:
            pen.line(pts, fill=255, width=int(round(2 * r)), joint="curve")
        for x, y in pts:  # round caps and joins
            pen.ellipse([x - r, y - r, x + r, y + r], fill=255)
    ink = np.asarray(big.resize((canvas, canvas), Image.Resampling.LANCZOS), dtype=np.uint8)
    out = np.empty((canvas, canvas, 4), np.uint8)
    out[..., :3] = ink[..., None]
    out[..., 3] = 255
    return out


def read_samples(path: str | Path) -> Iterator[dict]:
    """One dict a line: label, writer, strokes (and kind, quality for UNIPEN)."""
    path = str(path)
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
