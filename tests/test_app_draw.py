"""AppTest runs of the app shell and the Draw page (no browser): sidebar picker, invitation, broken bundles."""
import re
import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.prediction import PLACEHOLDER

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def test_draw_page_with_the_shipped_models(monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    model = at.sidebar.selectbox(key="model_name")
    assert model.value == "mnist-hwnet" or model.value.startswith("mnist-hwnet")  # the best MNIST model first
    labels = model.options  # as shown
    # short titles that differ, the test accuracy first: nothing cut off in the sidebar, every model told apart
    assert all(re.match(r"\d+\.\d% · \S", o) for o in labels), labels
    assert len(set(labels)) == len(labels) and max(map(len, labels)) <= 34, labels
    assert any("Draw a digit" in i.value for i in at.info)  # an empty canvas invites, no prediction
    # no prediction yet: the verdict holds a dash until the first drawing (and no "Classes 10" metric)
    assert [(m.label, m.value) for m in at.metric] == [("Prediction", PLACEHOLDER)]
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


def _style(at) -> str:
    return " ".join(str(h.proto.body) for h in at.get("html"))


def test_presenter_view_from_the_link_and_the_toggle(monkeypatch):
    """?present=1 turns the presenter view on (large type); the sidebar toggle turns it off and takes it out of
    the link, and back on puts it in again, so the teacher can bookmark it."""
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    assert at.sidebar.toggle(key="present").value is True
    assert "font-size: 9rem" in _style(at)  # the prediction in large type, and the captions around it
    # "What the model sees (28×28)" and the model's line as large as the runner-up line (a caption: 0.875rem)
    captions = re.search(r'(\.st-key-answer_canvas \[data-testid="stImageCaption"\][^{]*)\{([^}]*)\}', _style(at))
    assert captions and '.st-key-draw_model [data-testid="stCaptionContainer"] p' in captions.group(1), _style(at)
    assert "font-size: 1.6rem" in captions.group(2), captions.group(2)
    at.sidebar.toggle(key="present").set_value(False).run()
    assert "present" not in at.query_params and "font-size: 9rem" not in _style(at)
    at.sidebar.toggle(key="present").set_value(True).run()
    assert at.query_params["present"] in ("1", ["1"]) and "font-size: 9rem" in _style(at)


def test_plain_link_opens_without_presenter_view(monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert at.sidebar.toggle(key="present").value is False and "font-size: 9rem" not in _style(at)
    assert "flex: 1 1 20rem" in _style(at)  # the answer wraps under the canvas on a narrow screen
