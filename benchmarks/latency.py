"""Latency of one drawing: canvas RGBA -> probabilities (preprocess + compiled model call), median and
p95 over 200 calls (in 5 alternating rounds), beside keras's model.predict on the same input, measured in the same run.

    python benchmarks/latency.py [--model NAME] [--calls 200] [--repeat 5]"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import _setup  # noqa: F401  (paths and data folder)
import numpy as np

from core import registry
from core.model.preprocess import prepare
from core.datasets.strokes import read_samples, render


def timed(fns: dict, calls: int, rounds: int = 5) -> dict[str, list[float]]:
    """Each function `calls` times, in `rounds` alternating blocks, so that a noisy neighbour or a
    change of CPU clock hits every contender alike (and no contender gets only the quiet minutes)."""
    for fn in fns.values():
        fn()  # warm-up
    out = {k: [] for k in fns}
    for r in range(rounds):
        for k, fn in fns.items():
            for _ in range(calls // rounds + (r < calls % rounds)):
                t = time.perf_counter()
                fn()
                out[k].append(time.perf_counter() - t)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=registry.default_for("mnist"), help="default: the Draw page's MNIST model")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=1, help="the whole measurement N times; prints the medians")
    a = ap.parse_args(argv)
    pred = registry.Predictor(a.model)
    sample = next(read_samples(_setup.ROOT.parent / "shared" / "datasets" / "pen-strokes" /
                               "pendigits-train-writers.jsonl.gz"))
    canvas = render(sample["strokes"], 0)
    x = prepare(canvas, pred.style).x

    assert np.allclose(pred(x), pred.model.predict(x, verbose=0), atol=1e-5)

    def row(name, t):
        q = np.quantile(t, [0.5, 0.95]) * 1000
        print(f"  {name:<44} median {q[0]:7.2f} ms   p95 {q[1]:7.2f} ms")

    medians, ratios = [], []
    for r in range(a.repeat):
        t = timed({"ours": lambda: pred(prepare(canvas, pred.style).x),
                   "model_only": lambda: pred(x),
                   "predict": lambda: pred.model.predict(prepare(canvas, pred.style).x, verbose=0)}, a.calls)
        print(f"{a.model}: canvas RGBA (280x280) -> probabilities, {a.calls} calls each"
              + (f" (repeat {r + 1} of {a.repeat})" if a.repeat > 1 else ""))
        row("ours: preprocess + compiled call", t["ours"])
        row("  of which the compiled model call", t["model_only"])
        row("baseline: preprocess + model.predict", t["predict"])
        medians.append(statistics.median(t["ours"]))
        ratios.append(statistics.median(t["predict"]) / medians[-1])
        print(f"  speed-up (median): {ratios[-1]:.1f}x")
    if a.repeat > 1:
        print(f"over {a.repeat} repeats: ours median {statistics.median(medians) * 1000:.2f} ms, speed-up "
              f"{statistics.median(ratios):.1f}x (median; each repeat {min(ratios):.1f}x to {max(ratios):.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
