"""The dataset caches: ui.state's one copy the Datasets and Evaluation pages (and the SHAP background) share,
and the decoded arrays kept in the cache folder (core/datasets/decoded.py)."""
import pytest

from core.errors import HWLabError


def test_every_page_gets_the_same_read_only_copy(tmp_path, monkeypatch):
    import ui.state

    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))  # sklearn-digits is bundled: no files needed
    ds = ui.state.dataset("sklearn-digits")
    assert ui.state.dataset_on_disk("sklearn-digits") is ds  # the Evaluation page's way in: one copy
    assert not ds.train.x.flags.writeable and not ds.test.y.flags.writeable
    assert ui.state.dataset_on_disk("mnist") is None  # not in the empty folder: None, not an error
    with pytest.raises(HWLabError):
        ui.state.dataset("mnist")  # the Datasets page says why


def test_the_cache_key_changes_when_the_files_do(tmp_path, monkeypatch):
    from core import datasets

    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    before = datasets.signature("kaggle-digit-recognizer")
    (tmp_path / "kaggle-digit-recognizer").mkdir()
    (tmp_path / "kaggle-digit-recognizer" / "train.csv").write_text("label\n")
    assert datasets.signature("kaggle-digit-recognizer") != before


def _write_mnist(folder, seed: int) -> dict:
    """Small MNIST files in the official IDX format; returns the arrays written."""
    import numpy as np

    from core.datasets import idx

    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 30).astype(np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 12).astype(np.uint8)}
    (folder / "mnist").mkdir(parents=True, exist_ok=True)
    for name, a in arrays.items():
        (folder / "mnist" / name).write_bytes(idx.write_idx(a))
    return arrays


def _assert_holds(ds, arrays):
    import numpy as np

    assert np.array_equal(ds.train.x, arrays["train-images-idx3-ubyte.gz"])
    assert np.array_equal(ds.train.y, arrays["train-labels-idx1-ubyte.gz"])
    assert np.array_equal(ds.test.x, arrays["t10k-images-idx3-ubyte.gz"])
    assert np.array_equal(ds.test.y, arrays["t10k-labels-idx1-ubyte.gz"])


def test_mnist_is_decoded_once_then_read_from_the_cache(tmp_path, monkeypatch):
    from core import datasets
    from core.datasets import mnist

    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HWLAB_CACHE_DIR", str(tmp_path / "cache"))
    written = _write_mnist(tmp_path / "data", seed=1)
    _assert_holds(datasets.load("mnist", download=False), written)  # decoded from the IDX files
    assert len(list((tmp_path / "cache" / "decoded").glob("mnist-*.npz"))) == 1

    def no_decoding(raw):
        raise AssertionError("the IDX files were decoded again")
    monkeypatch.setattr(mnist, "parse_idx", no_decoding)
    _assert_holds(datasets.load("mnist", download=False), written)  # the same arrays, from the cache


def test_a_stale_or_damaged_cache_is_decoded_afresh(tmp_path, monkeypatch):
    import os

    from core import datasets

    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HWLAB_CACHE_DIR", str(tmp_path / "cache"))
    _write_mnist(tmp_path / "data", seed=1)
    datasets.load("mnist", download=False)
    newer = _write_mnist(tmp_path / "data", seed=2)  # a new download of other files: same names, same sizes
    for f in (tmp_path / "data" / "mnist").iterdir():
        os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))  # even within one clock tick
    _assert_holds(datasets.load("mnist", download=False), newer)
    cached, = (tmp_path / "cache" / "decoded").glob("mnist-*.npz")
    cached.write_bytes(b"not a zip file")  # a damaged cache: decoded again, not an error
    _assert_holds(datasets.load("mnist", download=False), newer)
    _assert_holds(datasets.load("mnist", download=False), newer)  # and the rewritten cache reads back
