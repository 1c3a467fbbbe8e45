"""Shared test setup: the shared datasets as HWLAB_DATA_DIR, a temporary models folder, and one tiny
model trained once per session on a small slice of MNIST (seconds on a CPU)."""
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "datasets"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HWLAB_DATA_DIR", str(SHARED_DATA))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("HWLAB_MAP_POINTS", "300")  # a new bundle's map: small, quick to draw
# The class database: a throwaway SQLite file, never the user's own (tests that need one set their own too).
os.environ.setdefault("HWLAB_DB_URL", f"sqlite:///{tempfile.mkdtemp(prefix='hwlab-class-')}/class.db")

needs_shared = pytest.mark.skipif(not (SHARED_DATA / "mnist").is_dir(), reason="../shared/datasets is not here")


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("hwlab")


@pytest.fixture(scope="session")
def tiny_bundle(session_tmp):
    """(models_dir, name) of a seed002 CNN trained for one epoch on 2,000 MNIST images."""
    from core import training

    models = session_tmp / "models"
    old = os.environ.get("HWLAB_MODELS_DIR")
    os.environ["HWLAB_MODELS_DIR"] = str(models)
    try:
        name = training.train(training.Settings(dataset="mnist", arch="seed002_cnn", epochs=1, limit=2000,
                                                drawn_eval=False, name="tiny"))
    finally:
        if old is None:
            os.environ.pop("HWLAB_MODELS_DIR", None)
        else:
            os.environ["HWLAB_MODELS_DIR"] = old
    return models, name


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    """An empty, temporary models folder (HWLAB_MODELS_DIR) for one test."""
    d = tmp_path / "models"
    d.mkdir()
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(d))
    return d
