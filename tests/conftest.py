"""Shared test setup: the test data folder as HWLAB_DATA_DIR, a temporary models folder, and one tiny
model trained once per session on a small slice of MNIST (seconds on a CPU)."""
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "datasets"  # the test data folder, unless HWLAB_DATA_DIR names another
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HWLAB_DATA_DIR", str(SHARED_DATA))
TEST_DATA = Path(os.environ["HWLAB_DATA_DIR"])
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("HWLAB_MAP_POINTS", "300")  # a new bundle's map: small, quick to draw
# Derived data (decoded datasets, this machine's training rates): a folder of this run's own, so that a record
# left in the user's cache by another version of the code never changes what a test sees.
os.environ.setdefault("HWLAB_CACHE_DIR", tempfile.mkdtemp(prefix="hwlab-cache-"))
# The class database: a throwaway SQLite file, never the user's own (tests that need one set their own too).
os.environ.setdefault("HWLAB_DB_URL", f"sqlite:///{tempfile.mkdtemp(prefix='hwlab-class-')}/class.db")

needs_shared = pytest.mark.skipif(not (TEST_DATA / "mnist").is_dir(), reason="the test data folder is not here")


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("hwlab")


@pytest.fixture(scope="session")
def tiny_bundle(session_tmp):
    """(models_dir, name) of a seed002 CNN trained for one epoch on 2,000 MNIST images, with its map (drawn
    as the callers of training draw it)."""
    from core.insight import feature_map
    from core.training import run as training

    models = session_tmp / "models"
    old = os.environ.get("HWLAB_MODELS_DIR")
    os.environ["HWLAB_MODELS_DIR"] = str(models)
    try:
        name = training.train(training.Settings(dataset="mnist", arch="seed002_cnn", epochs=1, limit=2000,
                                                drawn_eval=False, name="tiny"))
        feature_map.draw(name)
    finally:
        if old is None:
            os.environ.pop("HWLAB_MODELS_DIR", None)
        else:
            os.environ["HWLAB_MODELS_DIR"] = old
    return models, name


def empty_folder(tmp_path: Path, monkeypatch, variable: str, name: str) -> Path:
    """A new empty folder under tmp_path that the environment variable names, for one test."""
    d = tmp_path / name
    d.mkdir()
    monkeypatch.setenv(variable, str(d))
    return d


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    """An empty, temporary models folder (HWLAB_MODELS_DIR) for one test."""
    return empty_folder(tmp_path, monkeypatch, "HWLAB_MODELS_DIR", "models")


@pytest.fixture
def empty_data(tmp_path, monkeypatch):
    """An empty, temporary data folder (HWLAB_DATA_DIR) for one test: every dataset is missing."""
    return empty_folder(tmp_path, monkeypatch, "HWLAB_DATA_DIR", "data")
