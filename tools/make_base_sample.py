"""Writes core/datasets/mnist_sample.npz: a stratified sample of MNIST shipped with the app, so that
"Teach the model our handwriting" mixes the model's own kind of data in even where MNIST itself was never
downloaded (a fresh install, offline), and before/after is also measured on MNIST test images.

    .venv/bin/python tools/make_base_sample.py        # needs MNIST in HWLAB_DATA_DIR (or downloads it)

Seeded: the same MNIST files give the same file."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core import datasets  # noqa: E402
from core.datasets import shipped_sample as base_sample  # noqa: E402


def stratified(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                                   for c in np.unique(y)]))


def main() -> None:
    ds = datasets.load("mnist")
    tr = stratified(ds.train.y, base_sample.TRAIN_PER_CLASS, 0)
    te = stratified(ds.test.y, base_sample.TEST_PER_CLASS, 1)
    np.savez_compressed(base_sample.FILE, train_x=ds.train.x[tr], train_y=ds.train.y[tr].astype(np.uint8),
                        test_x=ds.test.x[te], test_y=ds.test.y[te].astype(np.uint8),
                        train_index=tr.astype(np.int32), test_index=te.astype(np.int32))
    print(f"{base_sample.FILE}: {len(tr):,} training and {len(te):,} test images, "
          f"{base_sample.FILE.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
