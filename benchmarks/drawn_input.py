"""Drawn-input accuracy: real pen trajectories rendered like the canvas (core.datasets.strokes, the protocol of
shared/datasets/pen-strokes/README.md), through the app's own preprocessing and model, beside the
naive pipeline (the whole canvas resized to 28x28), measured in the same run.

    python benchmarks/drawn_input.py --model mnist-hwnet [--source pendigits|unipen] [--writers heldout|all]
                                     [--kind digit|letter] [--limit N] [--write-card]
--writers heldout (default) scores only writers the model never trained on (see core/datasets/drawn.py).
--write-card stores the figure in the bundle's card (drawn_accuracy and drawn[...])."""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import _setup  # noqa: F401  (paths and data folder)
import numpy as np

from core.datasets import drawn  # noqa: E402
from core import registry  # noqa: E402
from core.model.preprocess import naive_input, prepare  # noqa: E402
from core.datasets.strokes import read_samples, render  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "tools" / "render_strokes.py"


def _both(args):
    i, strokes, style = args
    rgba = render(strokes, i)
    x = prepare(rgba, style).x
    n = naive_input(rgba)
    blank = np.zeros((1, 28, 28, 1), np.float32)
    return (blank if x is None else x)[0], (blank if n is None else n)[0]


def check_renderer(path: Path, n: int = 20) -> str:
    """Our renderer against the shared reference implementation, pixel for pixel."""
    if not REFERENCE.is_file():
        return "reference renderer not found; skipped"
    import importlib.util

    spec = importlib.util.spec_from_file_location("render_strokes", REFERENCE)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    for i, s in enumerate(read_samples(path)):
        if i >= n:
            break
        if not np.array_equal(render(s["strokes"], i), ref.render(s["strokes"], i)):
            return f"DIFFERENT from the reference renderer at sample {i}"
    return f"identical to the reference renderer on the first {n} samples"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--source", default="pendigits", choices=sorted(drawn.SOURCES))
    ap.add_argument("--writers", default="heldout", choices=["heldout", "all"])
    ap.add_argument("--kind", choices=["digit", "letter"], help="UNIPEN: digits or letters (default: the model's)")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--write-card", action="store_true")
    a = ap.parse_args(argv)

    pred = registry.Predictor(a.model)
    path = drawn.source_path(a.source)
    rows = list(read_samples(path))
    meta = {"label": np.array([r["label"] for r in rows]), "writer": np.array([r["writer"] for r in rows]),
            "kind": np.array([r.get("kind", "digit") for r in rows]), "index": np.arange(len(rows))}
    kind = a.kind or ("digit" if "0" in pred.classes else "letter")
    case_insensitive = len(pred.classes) in (26, 47)
    idx, y = drawn.select({**meta, "x": meta["index"]}, pred.classes, case_insensitive, a.writers,
                          kind if a.source == "unipen" else None)  # x: the samples' line indices
    if a.limit:
        idx, y = idx[:a.limit], y[:a.limit]
    print(f"renderer: {check_renderer(path)}", flush=True)
    t0 = time.time()
    with ProcessPoolExecutor() as ex:
        out = list(ex.map(_both, [(int(i), rows[i]["strokes"], pred.style) for i in idx], chunksize=64))
    ours = np.stack([o[0] for o in out])
    naive = np.stack([o[1] for o in out])
    acc = {}
    for label, x in (("app pipeline", ours), ("naive resize", naive)):
        p = np.concatenate([pred(x[i:i + 512]) for i in range(0, len(x), 512)]).argmax(1)
        acc[label] = float((p == y).mean())
    print(f"{a.model} on {a.source} ({a.writers} writers, {kind}s): {len(y)} drawings, rendered in {time.time() - t0:.0f} s")
    print(f"  app preprocessing (crop, fit, centre of mass): {acc['app pipeline']:.4f}")
    print(f"  naive resize of the canvas (baseline):         {acc['naive resize']:.4f}")
    print(f"  gain: {100 * (acc['app pipeline'] - acc['naive resize']):+.2f} points")
    if a.write_card:
        key = f"{a.source}_{a.writers}_{kind}s"
        card = registry.inspect(a.model).card
        figures = dict(card.get("drawn") or {}, **{key: {"accuracy": acc["app pipeline"], "n": int(len(y))}})
        from core.training.run import headline_drawn

        registry.update_card(a.model, drawn=figures, drawn_accuracy=headline_drawn(figures))
        print(f"  written to {a.model}/card.json as drawn[{key!r}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
