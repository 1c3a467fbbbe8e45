"""Recompute the drawn-input figures of bundles (held-out writers only, core/datasets/drawn.py) and write
them into their cards. Uses the cached renders of the pen strokes (computed once if missing).

    python tools/refresh_drawn_figures.py [NAME ...]     (default: every usable bundle)"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from core import datasets, registry  # noqa: E402
from core.training.run import drawn_figures, headline_drawn  # noqa: E402


def main(names):
    for b in registry.list_bundles():
        if not b.ok or (names and b.name not in names):
            continue
        p = registry.Predictor(b.name)
        spec = datasets.spec(b.card["dataset"])
        ds = datasets.Dataset(spec.name, spec.title, p.classes, None, None, "", p.style)  # classes and style suffice
        figures = drawn_figures(p, ds)
        registry.update_card(b.name, drawn=figures, drawn_accuracy=headline_drawn(figures))
        print(b.name, {k: round(v["accuracy"], 4) for k, v in figures.items()}, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
