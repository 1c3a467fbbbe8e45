"""AppTest runs (no browser) of the Models and Evaluation pages on the shipped bundles: offline (no
dataset), then with the dataset (evaluate afresh), and the explanation of one example."""
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import needs_shared

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SHIPPED = ROOT / "models"
MODEL = "mnist-hwnet"

pytestmark = pytest.mark.skipif(not (SHIPPED / MODEL / "model.keras").is_file(), reason="shipped models absent")


def _elements(at, kind: str) -> list:
    """Every element of that type, in page order."""
    out = []

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if getattr(child, "type", None) == kind:
                out.append(child)
            walk(child)
    walk(at._tree)
    return out


def _image_captions(at) -> list[str]:
    return [im.caption for e in _elements(at, "image") for im in e.proto.imgs]


def _frame(at, column: str):
    """The first table on the page with that column (tables without selection have no key in AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _open(monkeypatch, page: str, model: str = MODEL, models: Path = SHIPPED, data: Path | None = None) -> AppTest:
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    if data is not None:
        monkeypatch.setenv("HWLAB_DATA_DIR", str(data))
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state["model_name"] = model  # the sidebar's picker follows it (dataset, then model)
    at.run()  # the Draw page, with the sidebar
    assert not at.exception and at.sidebar.selectbox(key="model_name").value == model
    return _run(at, model, page)


def _run(at: AppTest, model: str = MODEL, page: str | None = None) -> AppTest:
    # AppTest runs a switched-to page without the app's sidebar, so the picked model is set directly.
    at.session_state["model_name"] = model
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# ---------------------------------------------------------------- Models page
def test_models_page_table_and_curves(monkeypatch):
    at = _open(monkeypatch, "app_pages/models.py")
    assert at.title[0].value.endswith("Models")
    table = _frame(at, "architecture")
    assert set(table["model"]) == {p.name for p in SHIPPED.iterdir() if (p / "card.json").is_file()}
    for col in ("dataset", "architecture", "parameters", "train accuracy", "test accuracy", "drawn-input accuracy",
                "training time (s)", "hardware"):
        assert col in table.columns
    assert table.set_index("model").loc[MODEL, "test accuracy"] == pytest.approx(99.71, abs=0.01)
    # name, dataset and accuracies first: on screen without scrolling sideways
    assert list(table.columns[:4]) == ["model", "dataset", "test accuracy", "drawn-input accuracy"]
    mnist = table[table["dataset"] == "mnist"]["test accuracy"]
    assert mnist.is_monotonic_increasing  # from logistic regression up to our own CNN
    picker = at.multiselect(key="curves_models")
    assert picker.value == [MODEL]
    assert {c.key for c in _elements(at, "plotly_chart")} >= {"curve_accuracy", "curve_loss", "curve_lr"}
    picker.set_value([MODEL, "mnist-wide-filter-cnn", "mnist-logreg_l2"])
    at = _run(at)
    chart = next(c for c in _elements(at, "plotly_chart") if c.key == "curve_accuracy")
    assert chart.proto.spec.count('"name"') >= 3  # one curve a model at least, overlaid
    picker = at.multiselect(key="curves_models").set_value([])
    at = _run(at)
    assert any("Choose one model" in i.value for i in at.info)


# ---------------------------------------------------------------- Evaluation page, offline
def test_evaluation_page_offline_confusion_report_pairs_and_explorer(monkeypatch, tmp_path):
    at = _open(monkeypatch, "app_pages/evaluation.py", data=tmp_path / "no-data")
    assert at.title[0].value.endswith("Evaluation")
    assert not [b for b in at.button if b.key == "evaluate_afresh"]  # no dataset: no fresh evaluation
    assert any("not on disk" in c.value for c in at.caption)
    assert "confusion_chart" in {c.key for c in _elements(at, "plotly_chart")}
    # the three views of the confusion matrix
    for view in ("Row %", "Errors only", "Counts"):
        at.button_group(key="cm_view").set_value(view)
        at = _run(at)
    # choosing a cell shows its test images (the stored mistakes)
    at.selectbox(key="cell_true").set_value("4")
    at.selectbox(key="cell_pred").set_value("9")
    at = _run(at)
    assert any(m.value.startswith("##### True 4, predicted 9: 4 test images") for m in at.markdown)
    cell_buttons = [b for b in at.button if b.key and b.key.startswith("cell-explain-")]
    assert len(cell_buttons) == 4
    assert sum(c.startswith("#") and "%" in c for c in _image_captions(at)) == 4
    # a diagonal cell: correct predictions are not stored
    at.selectbox(key="cell_pred").set_value("4")
    at = _run(at)
    assert any("not stored with the model" in i.value for i in at.info)
    # per-class report with its averages, and the most-confused pairs
    report = _frame(at, "recall")
    assert list(report["class"]) == [str(i) for i in range(10)] + ["macro avg", "weighted avg"]
    assert report.iloc[-1]["support"] == 10_000
    pairs = _frame(at, "share of true class")
    assert list(pairs.columns[:3]) == ["true", "predicted", "count"] and pairs["count"].is_monotonic_decreasing
    # the misclassified explorer, filtered by true class, most confident first
    at.multiselect(key="mis_true").set_value(["9"])
    at = _run(at)
    mis = [b for b in at.button if b.key and b.key.startswith("mis-explain-")]
    captions = [c for c in _image_captions(at) if "→" in c]
    assert mis and len(captions) == len(mis) and all(c.startswith("9 →") for c in captions)
    conf = [int(c.rsplit("·", 1)[1].strip(" %")) for c in captions]
    assert conf == sorted(conf, reverse=True)
    at.button_group(key="mis_order").set_value("Least confident first")
    at = _run(at)
    conf = [int(c.rsplit("·", 1)[1].strip(" %")) for c in _image_captions(at) if "→" in c]
    assert conf == sorted(conf)
    # choosing an example opens its explanation: SHAP for the top 3 classes, then the activations
    next(b for b in at.button if b.key and b.key.startswith("mis-explain-")).click()
    at = _run(at)
    shap_maps = [c for c in _image_captions(at) if c.startswith("SHAP for")]
    assert len(shap_maps) == 3
    assert any("Red pixels push the model" in c.value for c in at.caption)
    assert any("convolution" in c and "maps of" in c for c in _image_captions(at))  # feature-map grids


def test_evaluation_page_of_a_letters_model(monkeypatch, tmp_path):
    if not (SHIPPED / "emnist-letters-hwnet").is_dir():
        pytest.skip("no letters model")
    at = _open(monkeypatch, "app_pages/evaluation.py", model="emnist-letters-hwnet", data=tmp_path / "no-data")
    assert at.selectbox(key="cell_true").options[-1] == "Z"
    assert len(_frame(at, "recall")) == 28


@needs_shared
def test_evaluate_afresh_makes_correct_predictions_browsable(monkeypatch, tiny_bundle, tmp_path):
    src, name = tiny_bundle
    models = tmp_path / "models"
    shutil.copytree(src, models)
    at = _open(monkeypatch, "app_pages/evaluation.py", model=name, models=models)
    at.button(key="evaluate_afresh").click()
    at = _run(at, name)
    assert at.button_group(key="eval_source").value == "fresh"
    assert any("evaluated just now" in c.value for c in at.caption)
    at.selectbox(key="cell_true").set_value("1")
    at.selectbox(key="cell_pred").set_value("1")
    at = _run(at, name)
    assert not any("not stored with the model" in i.value for i in at.info)
    assert len([b for b in at.button if b.key and b.key.startswith("cell-explain-")]) == 40  # the first page


def test_explaining_an_example_of_a_linear_model_shows_its_templates(monkeypatch, tmp_path):
    at = _open(monkeypatch, "app_pages/evaluation.py", model="mnist-logreg_l2", data=tmp_path / "no-data")
    next(b for b in at.button if b.key and b.key.startswith("mis-explain-")).click()
    at = _run(at, "mnist-logreg_l2")
    captions = _image_captions(at)
    assert len([c for c in captions if c.startswith("SHAP for")]) == 3
    assert [c for c in captions if c in [str(i) for i in range(10)]] == [str(i) for i in range(10)]  # 10 templates
    assert any("What the first layer looks for" in m.value for m in at.markdown)
    assert not any("maps of" in c for c in captions)  # no feature maps: a linear model has none


def test_broken_evaluation_files_are_said_not_raised(monkeypatch, tiny_bundle, tmp_path):
    src, name = tiny_bundle
    models = tmp_path / "models"
    shutil.copytree(src, models)
    (models / name / "misclassified.npz").write_bytes(b"not a zip")
    at = _open(monkeypatch, "app_pages/evaluation.py", model=name, models=models, data=tmp_path / "no-data")
    assert "confusion_chart" in {c.key for c in _elements(at, "plotly_chart")}  # the matrix still stands
    (models / name / "evaluation.json").write_text("{not json")
    at = _run(at, name)
    assert any("evaluation.json cannot be read" in e.value for e in at.error)


@needs_shared
def test_with_a_teacher_set_the_heavy_work_is_the_teachers(monkeypatch):
    """A student gets the stored evaluation and the quick SHAP methods; the unlocked teacher gets the whole test
    set afresh and the Partition explainer."""
    monkeypatch.setenv("HWLAB_TEACHER_PASSWORD", "tulip-42")
    at = _open(monkeypatch, "app_pages/evaluation.py", model="mnist-logreg_l2")
    assert not [b for b in at.button if b.key == "evaluate_afresh"]
    assert any("The teacher evaluates afresh" in c.value for c in at.caption)
    next(b for b in at.button if b.key and b.key.startswith("mis-explain-")).click()
    at = _run(at, "mnist-logreg_l2")
    shap_methods = lambda: next(r for r in at.radio if r.label == "SHAP method").options  # noqa: E731
    assert shap_methods() and not any("Partition" in o for o in shap_methods())
    at.session_state["teacher_unlocked"] = True  # what the right password does (tests/test_app_class.py)
    at = _run(at, "mnist-logreg_l2")
    assert [b for b in at.button if b.key == "evaluate_afresh"]
    assert any("Partition" in o for o in shap_methods())
