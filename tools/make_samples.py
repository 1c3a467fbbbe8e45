"""Make the examples "Try a sample" shows (core/datasets/held_out/*.npz): the first few test images of every
class of each dataset a shipped model was trained on. Run from the project's root with the datasets on disk:

    HWLAB_DATA_DIR=/path/to/data python tools/make_samples.py
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import datasets  # noqa: E402
from core.errors import HWLabError  # noqa: E402
from core.datasets import samples  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

names = sorted({json.loads(card.read_text())["dataset"] for card in (ROOT / "models").glob("*/card.json")})
for name in names:
    try:
        ds = datasets.load(name, download=False)
    except HWLabError as exc:  # Kaggle's files need a login: its models get MNIST's examples (same digits, same style)
        print(f"{name}: skipped ({exc})")
        continue
    out = samples.save(name, ds.classes, ds.test.x, ds.test.y)
    print(f"{name}: {len(samples.load(name).y)} examples, {out.stat().st_size / 1024:.1f} KB -> {out.relative_to(ROOT)}")
