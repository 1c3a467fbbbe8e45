"""A character without drawing (issue: every student can use it): the shipped held-out samples, "Try a sample" read
and sent like a drawing, an upload sent with the same button, the live region's sentence and the charts' text
alternatives. The browser checks (axe, the keyboard path) are in tests/e2e/test_e2e_a11y.py."""
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core import registry
from core.classroom.store import open_store
from core.datasets import samples
from conftest import needs_shared
from helpers import pen_digits, png_bytes
from ui.draw.announce import sentence
from ui.chart_text import curves_text
from ui.draw.other_input import over_background
from ui.prediction import PLACEHOLDER

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SHIPPED = sorted({json.loads(c.read_text())["dataset"]: c.parent.name for c in (ROOT / "models").glob("*/card.json")}.items())


@pytest.mark.parametrize("dataset,bundle", SHIPPED)
def test_every_shipped_model_has_samples_of_each_of_its_classes(dataset, bundle, monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    card = registry.inspect(bundle).card
    shipped = samples.for_model(dataset, card["classes"])
    assert shipped is not None and shipped.classes == card["classes"]
    assert shipped.labels() == card["classes"]  # every class has an example
    assert shipped.x.dtype == np.uint8 and shipped.x.shape[1:] == (28, 28)
    assert np.bincount(shipped.y).max() <= samples.PER_CLASS
    assert samples.path(shipped.dataset).stat().st_size < 64 * 1024  # small enough to ship


def test_the_samples_are_what_their_labels_say(monkeypatch):
    """A good model reads MNIST's shipped samples as their labels: the images and labels were not mixed up."""
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    shipped = samples.load("mnist")
    pred = registry.Predictor("mnist-hwnet")
    read = pred(shipped.x.reshape(-1, 28, 28, 1).astype(np.float32) / 255).argmax(1)
    assert (read == shipped.y).mean() >= 0.9
    first, second = shipped.pick("7", 0), shipped.pick("7", 1)
    assert not np.array_equal(first, second) and np.array_equal(shipped.pick("7", samples.PER_CLASS), first)
    with pytest.raises(samples.NoSample):
        shipped.pick("Q", 0)


def test_strokes_land_over_the_sample():
    from PIL import Image
    bg = Image.fromarray(np.full((4, 4), 100, np.uint8), "L").convert("RGBA")
    strokes = np.zeros((4, 4, 4), np.uint8)
    strokes[1, 1] = (255, 255, 255, 255)
    out = over_background(strokes, bg)
    assert out[1, 1, 0] == 255 and out[0, 0, 0] == 100 and out[..., 3].min() == 255
    assert over_background(None, bg)[0, 0, 0] == 100  # before the canvas reports, the sample alone
    assert over_background(strokes, None) is strokes


def test_the_live_sentence_and_the_curves_text():
    assert sentence([("7", 0.981), ("1", 0.012), ("9", 0.004)]) == "Read as 7, 98% sure; next: 1, 1%"
    rows = [{"epoch": 1, "accuracy": 0.9, "val_accuracy": 0.88}, {"epoch": 2, "accuracy": 0.991, "val_accuracy": 0.989}]
    assert curves_text({"m": rows}, "accuracy") == "Accuracy at the last epoch: epoch 2: training 99.1%, validation 98.9%."


@pytest.fixture
def draw_page(monkeypatch, tmp_path):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["model_name"] = "mnist-hwnet"
    at.run()
    assert not at.exception
    at.text_input(key="class_nickname_field").input("Ada").run()
    return at


def _prediction(at) -> str:
    return next(m.value for m in at.metric if m.label == "Prediction")


def _send(at) -> None:
    next(b for b in at.button if b.label == "Send to the class").click().run()
    assert not at.exception


def test_a_sample_is_read_explained_and_sent_like_a_drawing(draw_page):
    at = draw_page
    at.selectbox(key="draw_sample_class").select("7").run()
    next(b for b in at.button if b.label == "Try a sample").click().run()
    assert not at.exception and _prediction(at) == "7"
    assert any("held-out test data" in c.value for c in at.caption)
    assert not at.toggle(key="explain_drawing").disabled  # it can be explained as a drawing can
    _send(at)
    [d] = open_store().drawings()
    assert (d.student, d.label, d.prediction) == ("Ada", "7", "7")
    assert _prediction(at) == PLACEHOLDER  # the send cleared it away, ready for the next


@needs_shared
def test_an_upload_is_sent_with_the_same_button(draw_page):
    at = draw_page
    [(label, rgba)] = pen_digits(1, labels="3")
    at.get("file_uploader")[0].set_value(("three.png", png_bytes(rgba, "RGBA"), "image/png"))
    at.run()
    assert not at.exception and _prediction(at) == label
    _send(at)
    [d] = open_store().drawings()
    assert d.student == "Ada" and d.label == label
    assert open_store().canvas_png(d.id)  # its picture went with it, as a drawing's does


def test_send_with_nothing_read_says_so(draw_page):
    _send(draw_page)
    assert any("Nothing to send yet" in w.value for w in draw_page.warning)
    assert open_store().drawings() == []
