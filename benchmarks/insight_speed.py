"""Insight figures, each beside a baseline measured in the same run (read medians; these machines are noisy):

- line-up: one line-up of every MNIST bundle on a pen drawing, after loading (compiled calls), beside the
  same line-up through keras's model.predict;
- map: loading a bundle's precomputed map and placing a drawing on it, beside computing the map afresh
  (what precomputing saves; --fresh-points sets its size, 0 skips it);
- reading: how often three real pen digits side by side (840x280, writers held out from training) are read
  right, beside the ideal split (cut at the three canvases' edges, known only to this benchmark).

    python benchmarks/insight_speed.py [--calls 20] [--trios 100] [--map-model NAME] [--fresh-points 2000]"""
from __future__ import annotations

import argparse
import statistics
import time

import _setup  # noqa: F401  (paths and data folder)
import numpy as np

from core import datasets, registry
from core.datasets import drawn
from core.insight import feature_map
from core.insight.features import Embedder
from core.insight.lineup import LineUp
from core.insight.reading import read
from core.model.preprocess import prepare
from core.datasets.strokes import read_samples, render
from latency import timed


def lineup_figures(picture: np.ndarray, calls: int) -> None:
    line = LineUp("mnist")
    t = time.perf_counter()
    line.load()
    print(f"line-up: {len(line.bundles)} MNIST bundles loaded in {time.perf_counter() - t:.1f} s")
    models = {b.name: registry.load_model(b.name) for b in line.bundles}
    x = line.read(picture)[0].x

    def with_predict():
        return [models[n].predict(x, verbose=0) for n in models]
    got = timed({"compiled": lambda: line.read(picture), "model.predict": with_predict}, calls)
    ours, base = statistics.median(got["compiled"]), statistics.median(got["model.predict"])
    print(f"line-up of {len(models)} models, one drawing: median {ours * 1000:.0f} ms (p95 "
          f"{np.percentile(got['compiled'], 95) * 1000:.0f} ms) vs model.predict {base * 1000:.0f} ms: "
          f"{base / ours:.1f}x faster")


def map_figures(name: str, picture_x: np.ndarray, fresh_points: int) -> None:
    pred = registry.Predictor(name)
    embed = Embedder(pred.model)
    t = time.perf_counter()
    m = feature_map.load(name)
    if m is None:
        print(f"map of {name}: none yet (python -m core.insight.feature_map {name})")
        return
    loaded = time.perf_counter() - t
    star = m.place(embed(picture_x))
    ours = time.perf_counter() - t
    t = time.perf_counter()
    m.place(embed(picture_x))  # the next drawing: the feature function is traced already
    again = time.perf_counter() - t
    from core.model.pictures import pixels
    from ui.insight.feature_map import data_uri

    t = time.perf_counter()
    [data_uri(pixels(im / 255.0, scale=2, grid=False)) for im in m.images]  # the hover images, once a bundle
    thumbs = time.perf_counter() - t
    print(f"map of {name}: loaded ({len(m.xy):,} points) and the drawing placed in {ours * 1000:.0f} ms "
          f"(the file {loaded * 1000:.0f} ms; the rest is tracing the feature function once); the next drawing "
          f"placed in {again * 1000:.0f} ms; hover images made in {thumbs * 1000:.0f} ms once a bundle "
          f"(map computed once in {m.seconds:.0f} s); star at {np.round(star[0], 1).tolist()}")
    if fresh_points:
        ds = datasets.load(pred.card["dataset"], download=False)
        t = time.perf_counter()
        feature_map.compute(pred.model, ds.test.x, ds.test.y, ds.classes, "fresh", points=fresh_points)
        base = time.perf_counter() - t
        print(f"map computed afresh ({fresh_points:,} points): {base:.1f} s: loading is {base / ours:,.0f}x faster")


def reading_figures(trios: int, model: str) -> None:
    pred = registry.Predictor(model)
    rows = list(read_samples(drawn.source_path("pendigits")))
    held = drawn.heldout_writers({"writer": np.array([r["writer"] for r in rows]),
                                  "kind": np.array(["digit"] * len(rows))})
    pool = [i for i, r in enumerate(rows) if r["writer"] in held]
    rng = np.random.default_rng(0)
    ours = thirds = 0
    for _ in range(trios):
        pick = rng.choice(pool, 3, replace=False)
        wide = np.concatenate([render(rows[i]["strokes"], int(i)) for i in pick], axis=1)
        truth = "".join(rows[i]["label"] for i in pick)
        ours += read(pred, wide).text == truth
        cut = "".join(pred.top(pred(x)[0], 1)[0][0] if x is not None else "?"
                      for x in (prepare(wide[:, 280 * j:280 * (j + 1)], pred.style).x for j in range(3)))
        thirds += cut == truth
    print(f"reading three held-out pen digits side by side with {model}: {ours}/{trios} right "
          f"({ours / trios:.1%}) vs the ideal split at the three canvases' edges {thirds}/{trios} ({thirds / trios:.1%})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--trios", type=int, default=100)
    ap.add_argument("--map-model", default=registry.default_for("mnist"))
    ap.add_argument("--fresh-points", type=int, default=2000)
    a = ap.parse_args(argv)
    rows = read_samples(drawn.source_path("pendigits"))
    first = next(rows)
    picture = render(first["strokes"], 0)
    lineup_figures(picture, a.calls)
    map_figures(a.map_model, prepare(picture, "mnist").x, a.fresh_points)
    reading_figures(a.trios, a.map_model)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
