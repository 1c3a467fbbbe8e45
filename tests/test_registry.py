"""Model bundles: round trip, atomic saves, names that never become paths, broken bundles listed with a reason."""
import json
import shutil

import numpy as np
import pytest

from core import registry
from core.model.compiled import compiled_predict
from core.errors import BadModel


@pytest.fixture
def tiny_dir(tiny_bundle, tmp_path, monkeypatch):
    """A private copy of the tiny bundle's models folder, as HWLAB_MODELS_DIR."""
    src, name = tiny_bundle
    dst = tmp_path / "models"
    shutil.copytree(src, dst)
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(dst))
    return dst, name


def test_round_trip_predicts_like_the_saved_model(tiny_dir):
    base, name = tiny_dir
    [b] = registry.list_bundles()
    assert b.ok and b.name == name and b.card["classes"] == [str(i) for i in range(10)]
    p = registry.Predictor(name)
    x = np.random.default_rng(0).random((5, 28, 28, 1), dtype=np.float32)
    probs = p(x)
    assert probs.shape == (5, 10) and np.allclose(probs.sum(1), 1, atol=1e-4)
    again = compiled_predict(registry.load_model(name))(x)
    assert np.allclose(probs, again, atol=1e-6)
    for f in ("model.keras", "card.json", "history.csv", "evaluation.json", "misclassified.npz"):
        assert (base / name / f).is_file(), f
    assert registry.read_history(name)[0]["epoch"] == 1
    ev = registry.read_evaluation(name)
    assert np.array(ev["confusion"]).sum() == ev["n"] == 10000


def test_save_is_atomic_and_never_overwrites(tiny_dir):
    base, name = tiny_dir
    model = registry.load_model(name)
    card = json.loads((base / name / "card.json").read_text())
    new = registry.save_bundle(model, card, [{"epoch": 1, "loss": 0.5}], name=name)
    assert new == f"{name}-2"
    assert json.loads((base / new / "card.json").read_text())["name"] == new
    assert not [p for p in base.iterdir() if p.name.startswith(".tmp")]

    class Exploding:
        def save(self, path):
            path.write_bytes(b"half a model")
            raise OSError("disk full")

    before = sorted(p.name for p in base.iterdir())
    with pytest.raises(OSError):
        registry.save_bundle(Exploding(), card, [], name="broken-save")
    assert sorted(p.name for p in base.iterdir()) == before  # nothing left behind


@pytest.mark.parametrize("bad", ["../../etc", "a/b", "..", "", ".hidden", "x" * 200, "name with space"])
def test_names_from_users_never_become_paths(bad, models_dir):
    with pytest.raises(BadModel):
        registry.bundle_dir(bad)
    with pytest.raises(BadModel):
        registry.Predictor(bad)


def test_unknown_model_is_a_clear_error(models_dir):
    with pytest.raises(BadModel, match="no model called 'nope'"):
        registry.Predictor("nope")


def test_broken_bundles_are_listed_as_unavailable(tiny_dir):
    base, name = tiny_dir
    shutil.copytree(base / name, base / "corrupt-model")
    (base / "corrupt-model" / "model.keras").write_bytes(b"not a zip file")
    shutil.copytree(base / name, base / "no-card")
    (base / "no-card" / "card.json").unlink()
    shutil.copytree(base / name, base / "bad-card")
    (base / "bad-card" / "card.json").write_text("{not json")
    shutil.copytree(base / name, base / "no-model")
    (base / "no-model" / "model.keras").unlink()
    by_name = {b.name: b for b in registry.list_bundles()}
    assert by_name[name].ok
    assert "card.json is missing" in by_name["no-card"].error
    assert "cannot be read" in by_name["bad-card"].error
    assert "model.keras is missing" in by_name["no-model"].error
    with pytest.raises(BadModel, match="cannot be loaded"):
        registry.Predictor("corrupt-model")


def test_update_card_is_atomic(tiny_dir):
    base, name = tiny_dir
    card = registry.update_card(name, drawn_accuracy=0.5)
    assert card["drawn_accuracy"] == 0.5
    assert json.loads((base / name / "card.json").read_text())["drawn_accuracy"] == 0.5
    assert not [p for p in (base / name).iterdir() if p.name.startswith(".card")]


def test_one_drawing_takes_the_xla_path_and_agrees_with_a_batch(tiny_dir):
    _, name = tiny_dir
    p = registry.Predictor(name)
    x = np.random.default_rng(1).random((4, 28, 28, 1), dtype=np.float32)
    batch = p(x)
    singles = np.concatenate([p(x[i:i + 1]) for i in range(4)])
    assert np.allclose(batch, singles, atol=1e-5)
    assert not np.allclose(singles[0], singles[1])  # four different answers, not one repeated


def test_the_default_bundle_is_the_best_on_drawings_then_on_the_test_set(tiny_dir):
    base, name = tiny_dir
    shutil.copytree(base / name, base / "other")
    registry.update_card("other", name="other", drawn_accuracy=0.99, test_accuracy=0.5)
    registry.update_card(name, drawn_accuracy=0.98, test_accuracy=0.99)
    assert registry.default_for("mnist") == "other"
    registry.update_card(name, drawn_accuracy=0.99, test_accuracy=0.99)
    assert registry.default_for("mnist") == name  # a tie on drawings: the better test accuracy
    assert registry.default_for("emnist-letters") is None
