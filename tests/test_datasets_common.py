"""The same checks over every registered dataset (as scikit-learn's datasets/tests/test_common.py does for its
loaders): upright uint8 28x28 images, integer labels within the class names, a style the preprocessing knows,
and a train/test split that does not share images. A dataset whose files are not here is skipped, said as such;
the class's drawings are checked on a small class database made for the test. Small slices keep it quick: the
overlap check compares the first test images against the first training images."""
import numpy as np
import pytest

from core import datasets
from core.datasets import class_drawings
from core.model.preprocess import STYLES

SLICE = 3000  # images of each split compared for overlap


@pytest.fixture
def small_class(tmp_path, monkeypatch):
    """A class database with 5 students' drawings, every drawing a different picture."""
    from core.classroom.store import open_store

    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    store = open_store()
    rng = np.random.default_rng(0)
    for s in range(5):
        for k in range(6):
            x = (rng.random((28, 28)) > 0.8).astype(np.uint8) * 255
            store.add(f"kid{s}", str(k), x, "mnist", "m", datasets.DIGITS, np.eye(10)[k] * 0.9 + 0.01)


@pytest.mark.parametrize("name", list(datasets.DATASETS))
def test_every_dataset_loads_the_same_shape_of_data(name, request):
    if name == class_drawings.NAME:
        request.getfixturevalue("small_class")
    if not datasets.on_disk(name):
        pytest.skip(f"{name}: its files are not in HWLAB_DATA_DIR")
    ds = datasets.load(name, download=False)
    assert ds.name == name and ds.title and ds.provenance
    assert len(ds.classes) >= 2 and len(set(ds.classes)) == len(ds.classes)
    assert all(isinstance(c, str) for c in ds.classes)
    assert ds.style in STYLES
    for split in (ds.train, ds.test):
        assert len(split) > 0 and split.x.shape == (len(split.y), 28, 28) and split.x.dtype == np.uint8
        assert np.issubdtype(split.y.dtype, np.integer)
        assert 0 <= split.y.min() and split.y.max() < len(ds.classes)
    assert ds.train.x[:SLICE].max() > 0  # ink, not an empty array of zeros
    train = {im.tobytes() for im in ds.train.x[:SLICE]}
    shared = sum(im.tobytes() in train for im in ds.test.x[:SLICE] if im.any())
    assert shared == 0, f"{name}: {shared} test images are also training images"
    status = datasets.file_status(name)
    assert status["usable"] and status["name"] == name
