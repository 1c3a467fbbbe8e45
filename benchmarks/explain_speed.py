"""How long an explanation of one drawn image takes with the shipped MNIST CNN, beside shap's defaults.

    python benchmarks/explain_speed.py [--model mnist-hwnet] [--n 7] [--check]

Prints medians over drawn images (real pen strokes rendered like the canvas, then preprocessed like a
drawing; the bundle's stored test images when the pen-stroke files are absent), all measured in this run:
- SHAP top 3, ours: core.insight.explain.Explainer (GradientExplainer, 64-image background, 48 samples a class,
  one compiled gradient function), after its one-off build;
- SHAP top 3, shap's defaults: shap.GradientExplainer(model, 200 training images).shap_values(x,
  ranked_outputs=3): nsamples 200 in batches of 50, a tf.function traced per class (warmed up first,
  so only steady-state time counts);
- all activations, ours: core.insight.explain.Activations (one multi-output model, compiled call);
- all activations with model.predict on the same multi-output model.
Targets: SHAP <= 1.5 s, activations <= 0.2 s. --check exits 1 when one is missed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if "HWLAB_DATA_DIR" not in os.environ and (ROOT.parent / "shared" / "datasets").is_dir():
    os.environ["HWLAB_DATA_DIR"] = str(ROOT.parent / "shared" / "datasets")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402

from core import datasets, registry  # noqa: E402
from core.datasets import drawn  # noqa: E402
from core.insight import explain  # noqa: E402
from core.model import pictures  # noqa: E402
from core.errors import DatasetMissing  # noqa: E402
from core.model.preprocess import prepare  # noqa: E402
from core.datasets.strokes import read_samples, render  # noqa: E402

SHAP_TARGET_S = 1.5
ACTIVATIONS_TARGET_S = 0.2


def drawn_inputs(n: int, style: str) -> tuple[list[np.ndarray], str]:
    """n drawings (one per digit in turn) as the canvas would hand them over, preprocessed."""
    try:
        path = drawn.source_path("pendigits")
    except DatasetMissing:
        return [], ""
    xs, seen = [], set()
    for i, r in enumerate(read_samples(path)):
        if r["label"] in seen:
            continue
        p = prepare(render(r["strokes"], i), style)
        if p.x is not None:
            xs.append(p.x)
            seen.add(r["label"])
        if len(xs) >= n:
            break
    return xs, f"{len(xs)} pendigits drawings rendered like the canvas"


def median_time(fn, inputs, repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        for x in inputs:
            t = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="mnist-hwnet")
    ap.add_argument("--n", type=int, default=7, help="drawn images to time (default 7)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()

    import shap
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    pred = registry.Predictor(args.model)
    model = pred.model
    inputs, what = drawn_inputs(args.n, pred.style)
    if not inputs:
        mis = registry.read_misclassified(args.model)
        inputs = [explain.as_input(im) for im in mis["images"][:args.n]]
        what = f"{len(inputs)} stored test images (the pen-stroke files are not here)"
    print(f"model {args.model} ({pred.card['architecture']['parameters']:,} parameters), inputs: {what}, "
          f"{os.cpu_count()} CPU cores, shap {shap.__version__}, TensorFlow {tf.__version__}")

    # SHAP, ours
    bg, source = explain.background(args.model)
    t = time.perf_counter()
    ours = explain.Explainer(model, bg, "gradient", classes=pred.classes, background_source=source)
    ours.explain(inputs[0])  # the one-off trace, as the app's cached explainer pays once
    build = time.perf_counter() - t
    shap_ours = median_time(lambda x: ours.explain(x), inputs)

    # SHAP, shap's defaults (a bigger background, nsamples=200, batch_size=50, top 3 in one call)
    ds = datasets.load_offline(pred.card["dataset"])
    big = explain.background_from(ds.train.x, ds.train.y, 200) if ds is not None else np.repeat(bg, 4, axis=0)
    default = shap.GradientExplainer(model, big)
    run_default = lambda x: default.shap_values(x, ranked_outputs=3)  # noqa: E731
    for x in inputs:  # warm up: shap traces one gradient function per class on first use
        run_default(x)
    shap_default = median_time(run_default, inputs)

    # activations
    t = time.perf_counter()
    acts = explain.Activations(model)
    act_build = time.perf_counter() - t
    act_ours = median_time(acts, inputs, repeat=3)
    act_grids = median_time(lambda x: [pictures.feature_grid(o.values) for o in acts(x) if o.kind == "maps"],
                            inputs, repeat=3)
    acts.model.predict(inputs[0], verbose=0)
    act_predict = median_time(lambda x: acts.model.predict(x, verbose=0), inputs, repeat=3)

    rows = [
        ("SHAP top 3 (GradientExplainer)", shap_ours, shap_default, SHAP_TARGET_S,
         f"ours: {len(bg)} background, {explain.GRADIENT_NSAMPLES} samples/class; default: {len(big)} background, "
         f"200 samples/class"),
        ("all activations", act_ours, act_predict, ACTIVATIONS_TARGET_S,
         f"{len(acts.layers)} layers; ours: compiled call; default: model.predict"),
    ]
    print(f"\n{'':34}{'ours (median)':>15}{'default (median)':>18}{'speed-up':>10}{'target':>9}")
    ok = True
    for label, mine, base, target, note in rows:
        hit = mine <= target
        ok &= hit
        print(f"{label:34}{mine * 1000:>12.0f} ms{base * 1000:>15.0f} ms{base / mine:>9.1f}x{'<=' + format(target, 'g') + ' s':>9}"
              f"  {'OK' if hit else 'MISSED'}\n{'':36}{note}")
    print(f"\none-off costs: SHAP explainer build + first call {build:.2f} s, activation model build {act_build:.2f} s; "
          f"activations plus their 8x8 grids {act_grids * 1000:.0f} ms (median)")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
