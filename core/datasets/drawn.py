"""Drawn input: real pen trajectories rendered like the canvas (strokes.py), preprocessed in a
model's style, cached, and split by writer so that training never sees a writer we score on.

Sources (shared/datasets/pen-strokes/, found through HWLAB_DATA_DIR/pen-strokes):
- pendigits-train-writers (30 writers): a seeded half of the writers is held out, the other half
  may train (only models whose card says so did).
- unipen-dev: the writers of its first 3,000 digits and first 4,000 letters (the samples the
  acceptance check scores), plus a seeded 15% of the others, are held out; the rest may train.
"""
from __future__ import annotations

import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .. import atomic, config
from ..errors import DatasetMissing
from ..model.input import to_uint8
from ..model.preprocess import STYLES, prepare
from .strokes import read_samples, render

SOURCES = {"pendigits": "pendigits-train-writers.jsonl.gz", "unipen": "unipen-dev.jsonl.gz"}
ACCEPTANCE_SCOPE = {"digit": 3000, "letter": 4000}  # first N of each kind in unipen-dev
EXTRA_HELDOUT_FRACTION = 0.15
SPLIT_SEED = 0
CACHE_VERSION = "v1"  # bump when rendering or preprocessing changes


def source_path(source: str) -> Path:
    p = config.data_dir() / "pen-strokes" / SOURCES[source]
    if not p.is_file():
        raise DatasetMissing(f"Pen-stroke file {p.name} is not in {p.parent}.")
    return p


def _render_one(args):
    i, strokes, styles = args
    rgba = render(strokes, i)
    out = []
    for st in styles:
        x = prepare(rgba, st).x
        out.append(np.zeros((28, 28), np.uint8) if x is None else to_uint8(x[0]))
    return out


def is_rendered(source: str, style: str) -> bool:
    return _cache_of(source, style).is_file()


def _cache_of(source: str, style: str) -> Path:
    return config.cache_dir() / f"pen-{source}-{style}-{CACHE_VERSION}.npz"


def render_missing(sources, style: str, say: Optional[Callable[[str], None]] = None) -> float:
    """Renders each of `sources` not rendered in `style` yet, saying how far it got (`say`, a sentence about
    every two seconds); returns the seconds it took: 0 when every one was cached. Rendering is a machine's
    one-time cost (minutes for UNIPEN's 91,828 drawings on 2 cores), not a part of each training run. A
    source that is not on disk is skipped: its figures are left out."""
    started = time.time()
    for src in sources:
        if is_rendered(src, style):
            continue
        last = [0.0]

        def progress(done, total, src=src):
            if say and time.time() - last[0] > 2:
                last[0] = time.time()
                say(f"rendering the {src} pen drawings, once on this machine (they are kept): {done:,} of {total:,}")
        try:
            rendered(src, style, progress=progress)
        except DatasetMissing:
            pass
    return time.time() - started


def rendered(source: str, style: str, workers: Optional[int] = None,
             progress: Optional[Callable[[int, int], None]] = None) -> dict:
    """All samples of a source, rendered by the protocol and preprocessed in `style`:
    {x: (N,28,28) uint8, label, writer, kind, index} (cached on disk)."""
    if is_rendered(source, style):
        with np.load(_cache_of(source, style), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    path = source_path(source)
    rows = list(read_samples(path))
    jobs = [(i, r["strokes"], STYLES) for i, r in enumerate(rows)]  # render once, preprocess in every style
    outs = []
    if progress:
        progress(0, len(jobs))
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as ex:
        for out in ex.map(_render_one, jobs, chunksize=256):
            outs.append(out)
            if progress and len(outs) % 256 == 0:
                progress(len(outs), len(jobs))
    meta = {"label": np.array([r["label"] for r in rows]), "writer": np.array([r["writer"] for r in rows]),
            "kind": np.array([r.get("kind", "digit") for r in rows]), "index": np.arange(len(rows))}
    for k, st in enumerate(STYLES):
        cache = _cache_of(source, st)
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic.replacing(cache) as tmp, open(tmp, "wb") as fh:
            np.savez_compressed(fh, x=np.stack([o[k] for o in outs]), **meta)
    return rendered(source, style)


def heldout_writers(data: dict) -> set[str]:
    """Writers never trained on. UNIPEN: those the acceptance check scores, plus a seeded 15% of the
    rest; pendigits: a seeded half."""
    held: set[str] = set()
    writers = sorted(set(data["writer"].tolist()))
    if len(set(data["kind"].tolist())) == 1:  # pendigits: digits only, half of its writers held out
        return set(random.Random(SPLIT_SEED).sample(writers, len(writers) // 2))
    for kind, n in ACCEPTANCE_SCOPE.items():
        sel = data["kind"] == "digit" if kind == "digit" else data["kind"] != "digit"
        held |= set(data["writer"][sel][:n].tolist())
    rest = sorted(set(writers) - held)
    rng = random.Random(SPLIT_SEED)
    held |= set(rng.sample(rest, int(round(len(rest) * EXTRA_HELDOUT_FRACTION))))
    return held


def select(data: dict, classes: list[str], case_insensitive: bool, writers: str = "all",
           kind: Optional[str] = None) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of the samples whose label is one of `classes`.
    writers: 'all', 'train' or 'heldout' (see heldout_writers); kind: None, 'digit' or 'letter'.
    case_insensitive maps a letter to its upper-case class (26-letter and 47-class layouts)."""
    index = {c: i for i, c in enumerate(classes)}
    labels = data["label"].tolist()
    if case_insensitive:
        labels = [lab if lab in index else lab.upper() for lab in labels]
    keep = np.array([lab in index for lab in labels], bool)
    if kind is not None:
        keep &= (data["kind"] == "digit") == (kind == "digit")
    if writers != "all":
        held = heldout_writers(data)
        in_held = np.isin(data["writer"], list(held))
        keep &= in_held if writers == "heldout" else ~in_held
    y = np.array([index[lab] for lab, k in zip(labels, keep) if k], np.int64)
    return data["x"][keep], y


def accuracy(predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Top-1 accuracy of `predict` (float32 (N,28,28,1) in [0,1] -> probabilities)."""
    if len(y) == 0:
        return float("nan")
    from ..model.evaluation import batched  # in batches: one call on thousands of images exhausts memory on a CPU

    return float((batched(predict, x).argmax(axis=1) == y).mean())


if __name__ == "__main__":  # warm the caches: python -m core.datasets.drawn
    for src in SOURCES:
        print(src, rendered(src, "mnist")["x"].shape, flush=True)
