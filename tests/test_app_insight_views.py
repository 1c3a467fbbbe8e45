"""AppTest runs (no browser) of the insight views: several characters, the line-up, nearest training examples,
the feature map, the insight switch on the Draw page, and the Draw page's "Write several characters" mode."""
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from helpers import pen_digits
from tests.conftest import needs_shared
from tests.test_app_insights import _image_captions

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "models"
LINEUP = ["mnist-keras-example-cnn", "mnist-mlp", "mnist-logreg_l2"]  # one of each kind, small: quick to load
SMALL = "sklearn-digits-wide-filter-cnn-aug"

pytestmark = [needs_shared, pytest.mark.skipif(not (SHIPPED / "mnist-keras-example-cnn" / "model.keras").is_file(),
                                               reason="shipped models absent")]


@pytest.fixture
def few_models(tmp_path, monkeypatch):
    d = tmp_path / "models"
    for name in LINEUP + [SMALL]:
        shutil.copytree(SHIPPED / name, d / name)
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(d))
    monkeypatch.setenv("HWLAB_CACHE_DIR", str(tmp_path / "cache"))
    return d


def _view(model: str, x_file: str, view: str):
    import numpy as np

    from ui.insight.more import show_insights
    from ui.state import predictor

    show_insights(predictor(model), np.load(x_file), "t", picture=None)


def _open_view(tmp_path, model: str, x: np.ndarray, view: str) -> AppTest:
    np.save(tmp_path / "x.npy", x)
    at = AppTest.from_function(_view, args=(model, str(tmp_path / "x.npy"), view), default_timeout=240)
    at.run()
    at.segmented_control(key="t-insight").set_value(view).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _digit_input(label: str) -> np.ndarray:
    from core.model.preprocess import prepare

    return prepare(dict(pen_digits(1, label))[label], "mnist").x


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_lineup_view_shows_every_model_simplest_first(few_models, tmp_path):
    x = _digit_input("4")
    at = _open_view(tmp_path, "mnist-keras-example-cnn", x, "lineup")
    from core.registry import Predictor

    each = [Predictor(n) for n in reversed(LINEUP)]  # logistic regression, MLP, CNN
    assert [m.value for m in at.metric] == [p.top(p(x)[0], 1)[0][0] for p in each]
    kinds = [c for c in _captions(at) if "test accuracy" in c]
    assert [k.split(" ·")[0] for k in kinds] == ["linear", "MLP", "CNN"]
    assert sum("28×28" not in c for c in _image_captions(at)) >= 3  # each model's input


def test_neighbours_view_shows_k_training_images(few_models, tmp_path):
    at = _open_view(tmp_path, SMALL, _digit_input("2"), "neighbours")
    said = " ".join(m.value for m in at.markdown)
    assert "of 8 are 2" in said, said
    assert sum(" · #" in c for c in _image_captions(at)) == 8


def test_neighbours_view_works_offline_from_the_shipped_sample_and_says_calmly_what_it_needs(
        few_models, tmp_path, monkeypatch):
    from core.datasets import shipped_sample

    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path / "nothing"))  # a fresh install: MNIST never downloaded
    at = _open_view(tmp_path, "mnist-keras-example-cnn", _digit_input("2"), "neighbours")
    assert not at.error and sum(" · #" in c for c in _image_captions(at)) == 8
    assert any("6,000 training images of the mnist sample shipped with the app" in c for c in _captions(at)), _captions(at)
    monkeypatch.setattr(shipped_sample, "FILE", tmp_path / "no-sample.npz")  # neither: said calmly, with a way
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path / "nothing-either"))  # (a new key of the view's cache)
    at = _open_view(tmp_path, "mnist-keras-example-cnn", _digit_input("2"), "neighbours")
    assert not at.error and "not on this machine" in at.info[0].value and "MNIST" in at.info[0].value


def test_feature_map_view_draws_the_map_with_a_star(few_models, tmp_path):
    at = _open_view(tmp_path, "mnist-keras-example-cnn", _digit_input("7"), "map")
    import json

    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    points, star = spec["layer"]
    assert star["data"]["values"][0]["what"] == "your input" and star["mark"]["shape"].startswith("M0,-1")
    rows = points["data"]["values"]
    assert len(rows) >= 100 and all(r["image"].startswith("data:image/png;base64,") for r in rows)  # hover: image
    assert {"field": "image"} in points["encoding"]["tooltip"] and "t-SNE" in " ".join(_captions(at))


def test_feature_map_view_without_a_map_says_how_to_draw_one(few_models, tmp_path):
    (few_models / "mnist-mlp" / "feature_map.npz").unlink(missing_ok=True)
    at = _open_view(tmp_path, "mnist-mlp", _digit_input("7"), "map")
    assert at.info and "has no map yet" in at.info[0].value


def test_a_click_on_the_map_picks_that_test_image():
    from core.insight import feature_map as fm
    from ui.insight.feature_map import PICK, clicked, figure

    m = fm.load("mnist-keras-example-cnn")
    rows = figure(m, None)["layer"][0]["data"]["values"]
    row = next(r for r in rows if r["class"] == "3")
    assert clicked(m, {"selection": {PICK: [{"i": row["i"]}]}}) == row["i"] and m.label[row["i"]] == 3
    assert clicked(m, {"selection": {PICK: []}}) is None and clicked(m, {"selection": {PICK: [{"i": len(rows)}]}}) is None


def _reading(model: str, picture_file: str):
    import numpy as np

    from ui.draw.several_characters import show_reading
    from ui.state import predictor

    show_reading(predictor(model), np.load(picture_file), "t")


def test_several_characters_view_reads_the_string(few_models, tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(SHIPPED))
    digits = dict(pen_digits(1, "149"))
    np.save(tmp_path / "wide.npy", np.concatenate([digits[d] for d in "149"], axis=1))
    at = AppTest.from_function(_reading, args=("mnist-hwnet-lite-pen", str(tmp_path / "wide.npy")),
                               default_timeout=240)
    at.run()
    assert not at.exception and at.metric[0].value == "149"
    assert [m.value.split(" ·")[0] for m in at.markdown if " · " in m.value] == ["**1**", "**4**", "**9**"]


def test_draw_page_switches_to_several_characters(few_models, monkeypatch):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.session_state["model_name"] = "mnist-keras-example-cnn"
    at.run()
    assert at.segmented_control(key="draw-insight") is not None and not at.toggle(key="several_characters").value
    at.toggle(key="several_characters").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Write a number or a word" in i.value for i in at.info)
    assert not any(s.key == "draw-insight" for s in at.segmented_control)


def _upload_hint(model: str, picture_file: str):
    import numpy as np

    from ui.draw.several_characters import several_characters_hint
    from ui.state import predictor

    several_characters_hint(predictor(model), np.load(picture_file), "upload")


def test_an_uploaded_picture_of_several_characters_offers_to_read_each(few_models, tmp_path):
    digits = dict(pen_digits(1, "205"))
    wide = np.concatenate([digits[c] for c in "205"], axis=1)
    np.save(tmp_path / "wide.npy", wide)
    at = AppTest.from_function(_upload_hint, args=("mnist-keras-example-cnn", str(tmp_path / "wide.npy")),
                               default_timeout=240).run()
    offer = at.toggle(key="upload-several")
    assert "3 characters" in offer.label and not at.metric
    offer.set_value(True).run()
    assert not at.exception and at.metric[0].value == "205"
    np.save(tmp_path / "one.npy", digits["2"])  # one character: no offer
    at = AppTest.from_function(_upload_hint, args=("mnist-keras-example-cnn", str(tmp_path / "one.npy")),
                               default_timeout=240).run()
    assert not at.toggle and not at.exception


class _Screen:
    """What a browser shows while a run goes on, from the runs' messages: it keeps each element of the run
    before on screen until the new run writes at that element's place (then, at the run's end, drops the rest).
    Every AppTest run has its own LocalScriptRunner; the last one made is the run going on."""

    def __init__(self, monkeypatch):
        from streamlit.testing.v1 import local_script_runner

        self.runners = []
        original = local_script_runner.LocalScriptRunner.__init__

        def keep(runner, *args, **kwargs):
            original(runner, *args, **kwargs)
            self.runners.append(runner)

        monkeypatch.setattr(local_script_runner.LocalScriptRunner, "__init__", keep)

    @staticmethod
    def _written(runner) -> dict[tuple, str]:
        """Each place the run wrote at, with the texts of what it wrote there."""
        from google.protobuf.json_format import MessageToDict

        def strings(v):
            return [v] if isinstance(v, str) else [t for w in (v.values() if isinstance(v, dict) else v if
                                                                isinstance(v, list) else []) for t in strings(w)]

        return {tuple(m.metadata.delta_path): "\n".join(strings(MessageToDict(m.delta)))
                for m in list(runner.forward_msgs()) if m.WhichOneof("type") == "delta"}

    def texts(self, start: str) -> list[str]:
        """The texts beginning with `start` that the run going on shows now (a bar's, a spinner's)."""
        return [t for element in self._written(self.runners[-1]).values() for t in element.split("\n")
                if t.startswith(start)]

    def stale(self, text: str) -> list[tuple]:
        """The places where the run before showed `text` and the run going on has not written yet."""
        before, now = self._written(self.runners[-2]), self._written(self.runners[-1])
        return [path for path, element in before.items() if text in element and path not in now]


def test_the_lineup_on_a_drawing_never_says_draw_something_first_and_loads_its_models_once(monkeypatch, request):
    """The line-up opened before drawing says "Draw something first."; then a drawing (a sample on the canvas):
    while its models load, that sentence is not left on screen over the drawing; the first load shows one bar
    ("Loading the line-up's models: 5 of 12"); a second browser session loads none of them again."""
    from core import registry
    from ui import state

    monkeypatch.setenv("HWLAB_MODELS_DIR", str(SHIPPED))  # the 12 MNIST models: more than one used to keep
    state._predictor.clear()
    request.addfinalizer(state._predictor.clear)  # later tests must not get a Counted instance
    screen = _Screen(monkeypatch)
    loads, stale_at_load, shown_at_load = [], [], []

    class Counted(registry.Predictor):
        def __init__(self, name, *args, **kwargs):
            loads.append(name)
            if len(screen.runners) > 1:
                stale_at_load.extend(screen.stale("Draw something first"))
                shown_at_load.append(screen.texts("Loading"))
            super().__init__(name, *args, **kwargs)

    monkeypatch.setattr(registry, "Predictor", Counted)

    def lineup_of_a_sample() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.session_state["model_name"] = "mnist-keras-example-cnn"
        at.run()
        at.segmented_control(key="draw-insight").set_value("lineup").run()
        assert any("Draw something first" in i.value for i in at.info)  # honest: nothing is drawn yet
        next(b for b in at.button if b.label == "Try a sample").click().run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    at = lineup_of_a_sample()
    lineup = registry.list_bundles()
    n = sum(1 for b in lineup if b.ok and b.card.get("dataset") == "mnist")
    assert n == 12 and len(set(loads)) == n, loads
    assert stale_at_load == [], "'Draw something first.' stayed on screen over the drawing while models loaded"
    assert not any("Draw something first" in i.value for i in at.info)
    assert sum("test accuracy" in c for c in _captions(at)) == n  # the cards
    # One indicator: at each load the bar, alone, says how far the 12 are ("Loading the line-up's models: 5 of 12")
    assert all(len(shown) == 1 and shown[0].startswith("Loading the line-up's models: ") and shown[0].endswith(" of 12")
               for shown in shown_at_load), shown_at_load
    assert len({shown[0] for shown in shown_at_load}) >= n - 2, shown_at_load  # (the page's own model was loaded)

    first = len(loads)
    lineup_of_a_sample()  # another browser session of the same server process
    assert loads[first:] == [], f"the second session loaded {loads[first:]} again"


def _view_once_drawn(model: str, x_file: str):
    import os

    import numpy as np

    from ui.insight.more import show_insights
    from ui.state import predictor

    show_insights(predictor(model), np.load(x_file) if os.path.exists(x_file) else None, "t")


@pytest.mark.parametrize("view, loading, load", [
    ("neighbours", "Finding the nearest training examples", "ui.insight.neighbours._neighbours"),
    ("map", "Drawing the map", "ui.insight.feature_map._map")])
def test_nearest_examples_and_the_map_on_a_drawing_never_leave_draw_something_first(
        view, loading, load, few_models, tmp_path, monkeypatch):
    """Nearest examples opened before drawing says "Draw something first."; then a drawing, shown as nearest
    examples or as the map: when the view starts to load (its model, training set, map: seconds the first time),
    that sentence is not left on screen over the drawing: the view's first element, in its place, says what is
    coming."""
    import importlib

    screen = _Screen(monkeypatch)
    x_file = tmp_path / "x.npy"
    at = AppTest.from_function(_view_once_drawn, args=(SMALL, str(x_file)), default_timeout=240)
    at.run()
    at.segmented_control(key="t-insight").set_value("neighbours").run()
    assert [i.value for i in at.info] == ["Draw something first."]
    np.save(x_file, _digit_input("2"))
    module, name = load.rsplit(".", 1)
    module = importlib.import_module(module)
    original, seen = getattr(module, name), []

    def loading_now(*args, **kwargs):  # the view's (cached) load: what the screen shows meanwhile
        seen.append((screen.stale("Draw something first"), screen.texts(f":material/hourglass_top: {loading}")))
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, loading_now)
    at.segmented_control(key="t-insight").set_value(view).run()
    assert not at.exception, [e.value for e in at.exception]
    assert seen and all(stale == [] for stale, _ in seen), "'Draw something first.' stayed on screen over the drawing"
    assert all(said == [f":material/hourglass_top: {loading}…"] for _, said in seen), seen
    assert not at.info and not any(loading in c for c in _captions(at))  # then the result, in the same place
    assert (at.get("vega_lite_chart") if view == "map" else [m for m in at.markdown if "of 8 are" in m.value])


def test_several_characters_labels_are_text_of_a_fixed_size_over_the_picture(tmp_path, monkeypatch):
    """The answers over the boxes are text in CSS units, placed in percent of the picture: however wide the picture
    is shown (an 840 px canvas at 353 px on a phone), a label stays 1rem. Drawn into the pixels they were 5 px."""
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(SHIPPED))
    digits = dict(pen_digits(1, "149"))
    np.save(tmp_path / "wide.npy", np.concatenate([digits[d] for d in "149"], axis=1))
    at = AppTest.from_function(_reading, args=("mnist-hwnet-lite-pen", str(tmp_path / "wide.npy")),
                               default_timeout=240).run()
    assert not at.exception and at.metric[0].value == "149"
    figure = next(h.proto.body for h in at.get("html") if "hw-boxes" in h.proto.body)
    labels = re.findall(r'<span style="([^"]*)">([^<]*)</span>', figure)
    assert [text.split()[0] for _, text in labels] == ["1", "4", "9"]
    assert all("font:600 1rem" in style and re.search(r"left:[\d.]+%; top:[\d.]+%", style) for style, _ in labels)
    assert 'alt="The writing with a box around each piece found: 1, 4, 9"' in figure and "width:100%" in figure
