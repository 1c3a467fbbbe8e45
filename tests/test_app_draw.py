"""AppTest runs of the app shell and the Draw page (no browser): sidebar picker, invitation, broken bundles."""
import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def test_draw_page_with_the_shipped_models(monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    model = at.sidebar.selectbox(key="model_name")
    assert model.value == "mnist-hwnet" or model.value.startswith("mnist-hwnet")  # the best MNIST model first
    assert any("%" in o for o in model.options)  # titles with test accuracy
    assert any("Draw a digit" in i.value for i in at.info)  # an empty canvas invites, no prediction
    assert [(m.label, m.value) for m in at.metric] == [("Classes", "10")]  # no prediction yet
    assert at.toggle(key="explain_drawing").disabled  # nothing to explain yet


def test_picking_another_model_uses_it(monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["model_name"] = "emnist-letters-hwnet"
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="picker_dataset").value == "emnist-letters"
    assert "Letters" in at.caption[0].value and "A, B, C" in at.caption[0].value
    assert any("Draw a letter on the black canvas" in i.value for i in at.info)  # the invitation says what


def test_app_starts_with_a_broken_bundle_and_says_why(tiny_bundle, tmp_path, monkeypatch):
    src, name = tiny_bundle
    models = tmp_path / "models"
    shutil.copytree(src, models)
    shutil.copytree(models / name, models / "broken")
    (models / "broken" / "model.keras").unlink()
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert at.sidebar.selectbox(key="model_name").options == [at.sidebar.selectbox(key="model_name").options[0]]
    notes = " ".join(c.value for c in at.sidebar.caption)
    assert "broken" in notes and "model.keras is missing" in notes


def test_app_with_no_models_explains_what_to_do(models_dir):
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert any("No usable model" in e.value for e in at.sidebar.error)
