"""core.insight.explain: SHAP attributions (shapes, order, sums and signs), backgrounds offline and with data,
activations of every zoo architecture, filters and weight templates, and the evaluation browser."""
from pathlib import Path

import numpy as np
import pytest

from core import datasets, registry
from core.model import evaluation, pictures, zoo
from core.insight import explain
from core.model.input import one_image
from core.model.compiled import compiled_call
from tests.conftest import TEST_DATA, needs_shared

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "models"
SMALL_CNN = "mnist-keras-example-cnn"  # 35k parameters: fast enough for SHAP in a test


@pytest.fixture
def shipped(monkeypatch):
    if not (SHIPPED / SMALL_CNN / "model.keras").is_file():
        pytest.skip("the shipped models are not here")
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(SHIPPED))
    return SHIPPED


@pytest.fixture(scope="module")
def small_cnn():
    import os

    old = os.environ.get("HWLAB_MODELS_DIR")
    os.environ["HWLAB_MODELS_DIR"] = str(SHIPPED)
    try:
        if not (SHIPPED / SMALL_CNN / "model.keras").is_file():
            pytest.skip("the shipped models are not here")
        return registry.load_model(SMALL_CNN), registry.read_misclassified(SMALL_CNN)
    finally:
        if old is None:
            os.environ.pop("HWLAB_MODELS_DIR", None)
        else:
            os.environ["HWLAB_MODELS_DIR"] = old


@pytest.fixture(scope="module")
def mnist():
    ds = datasets.load_offline("mnist") if (TEST_DATA / "mnist").is_dir() else None
    if ds is None:
        pytest.skip("MNIST is not in the test data folder")
    return ds


def _confident_digit(model, ds, k=0):
    """A test image the model gets right with probability > 0.95."""
    probs = compiled_call(model)(ds.test.x[:200, ..., None].astype(np.float32) / 255)[0]
    ok = np.flatnonzero((probs.argmax(1) == ds.test.y[:200]) & (probs.max(1) > 0.95))
    return ds.test.x[ok[k]]


# ---------------------------------------------------------------- inputs
def test_unknown_method_is_a_sentence():
    with pytest.raises(explain.ExplainError, match="Unknown explanation method"):
        explain.Explainer(zoo.build("logreg_l2", 10), np.zeros((1, 28, 28, 1), np.float32), "lime")


# ---------------------------------------------------------------- background
def test_background_is_stratified_by_class():
    y = np.repeat(np.arange(10), 50)
    x = (y[:, None, None] * 20).astype(np.uint8) * np.ones((1, 28, 28), np.uint8)  # each image says its class
    bg = explain.background_from(x, y, 20, seed=1)
    assert bg.shape == (20, 28, 28, 1) and bg.dtype == np.float32 and bg.max() <= 1
    labels = (bg[:, 0, 0, 0] * 255 / 20).round().astype(int)
    assert np.bincount(labels, minlength=10).tolist() == [2] * 10


def test_background_offline_uses_the_stored_mistakes(shipped, tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path / "no-data"))
    bg, source = explain.background(SMALL_CNN)
    mis = registry.read_misclassified(SMALL_CNN)
    k = min(len(mis["images"]), explain.BACKGROUND_SIZE)
    assert bg.shape == (k + 1, 28, 28, 1)
    assert "misclassified" in source and "not on disk" in source
    assert bg[-1].max() == 0  # and one blank image
    np.testing.assert_allclose(bg[0, ..., 0], mis["images"][0] / 255.0, atol=1e-6)


def test_background_without_data_or_examples_is_a_blank_image(tiny_bundle, tmp_path, monkeypatch):
    import shutil

    src, name = tiny_bundle
    shutil.copytree(src, tmp_path / "models")
    (tmp_path / "models" / name / "misclassified.npz").unlink()
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path / "no-data"))
    bg, source = explain.background(name)
    assert bg.shape == (1, 28, 28, 1) and bg.max() == 0 and "blank" in source


@needs_shared
def test_background_from_training_data_when_present(shipped):
    bg, source = explain.background(SMALL_CNN, n=30)
    assert bg.shape == (30, 28, 28, 1) and "training images" in source
    assert bg.max() == pytest.approx(1.0, abs=0.01)


# ---------------------------------------------------------------- SHAP
def test_gradient_shap_top3_shapes_order_and_determinism(small_cnn):
    model, mis = small_cnn
    bg = mis["images"][:16, ..., None].astype(np.float32) / 255
    e = explain.Explainer(model, bg, "gradient", nsamples=16)
    x = mis["images"][20]
    a = e.explain(x, seed=3)
    probs = e.probs(x)
    assert a.classes == list(np.argsort(-probs)[:3])
    assert a.values.shape == (3, 28, 28) and a.x.shape == (28, 28)
    assert a.probs == sorted(a.probs, reverse=True)
    assert a.labels == [str(c) for c in a.classes]
    np.testing.assert_allclose(a.values, e.explain(x, seed=3).values)  # a seed gives the same maps
    steps = []
    e.explain(x, progress=lambda done, total: steps.append(done / total))
    assert steps[0] == 0 and steps[-1] == 1 and steps == sorted(steps) and len(steps) == 4


@needs_shared
def test_gradient_shap_sums_track_the_output_and_favour_the_prediction(small_cnn, mnist):
    model, _ = small_cnn
    bg = explain.background_from(mnist.train.x, mnist.train.y, 64)
    e = explain.Explainer(model, bg, "gradient", nsamples=200)
    x = _confident_digit(model, mnist)
    a = e.explain(x)
    p = e.probs(x)
    expected = compiled_call(model)(bg)[0].mean(axis=0)
    s = a.sums()
    # Expected gradients: the attributions add up to f(x) - E[f(background)], up to sampling noise.
    assert s[0] == pytest.approx(p[a.classes[0]] - expected[a.classes[0]], abs=0.15)
    assert s[0] > 0.5  # the evidence for the confident prediction is positive, and large
    assert s[1] < s[0] and s[2] < s[0]  # the runners-up get less (usually negative) evidence
    assert a.values[0].max() > 0 and a.vmax == pytest.approx(np.abs(a.values).max())


def test_deep_shap_is_additive(small_cnn):
    model, mis = small_cnn
    bg = mis["images"][:16, ..., None].astype(np.float32) / 255
    e = explain.Explainer(model, bg, "deep")
    x = mis["images"][20]
    a = e.explain(x)
    p = e.probs(x)
    assert a.values.shape == (3, 28, 28)
    for k, c in enumerate(a.classes):  # DeepLIFT's SHAP values sum exactly to f(x) - E[f(background)]
        assert a.sums()[k] == pytest.approx(p[c] - a.base[k], abs=0.02)


def test_partition_shap_is_additive(small_cnn):
    model, mis = small_cnn
    e = explain.Explainer(model, np.zeros((1, 28, 28, 1), np.float32), "partition", max_evals=200)
    x = mis["images"][20]
    a = e.explain(x)
    p = e.probs(x)
    assert a.values.shape == (3, 28, 28) and a.classes == list(np.argsort(-p)[:3])
    for k, c in enumerate(a.classes):
        assert a.sums()[k] == pytest.approx(p[c] - a.base[k], abs=0.02)


@pytest.mark.parametrize("method", ["gradient", "deep", "partition"])
def test_the_class_meant_is_explained_beside_the_top_3(small_cnn, method):
    """A misread (the class wall's, the evaluation's): the class the student meant is explained too, after the top 3,
    however low the model ranks it; a class already among them is not explained twice."""
    model, mis = small_cnn
    bg = mis["images"][:16, ..., None].astype(np.float32) / 255
    e = explain.Explainer(model, bg if method != "partition" else bg[:1] * 0, method, nsamples=16, max_evals=200)
    x = mis["images"][20]
    p = e.probs(x)
    meant = str(int(np.argsort(-p)[6]))  # the 7th most probable class: never in the top 3
    a = e.explain(x, also=[meant])
    assert a.labels[:3] == [str(c) for c in np.argsort(-p)[:3]] and a.labels[3] == meant
    assert a.values.shape == (4, 28, 28) and np.abs(a.values[3]).max() > 0  # a real map, not a blank one
    assert a.probs[3] == pytest.approx(float(p[int(meant)]))
    if a.base is not None:
        assert a.sums()[3] == pytest.approx(p[int(meant)] - a.base[3], abs=0.02)  # additive, as the top 3
    assert e.explain(x, also=[a.labels[0]]).labels == a.labels[:3]  # the read class: once
    with pytest.raises(explain.ExplainError, match="not one of the model's classes"):
        e.explain(x, also=["Q"])


def test_shap_works_for_a_linear_model():
    model = zoo.build("logreg_l2", 10)
    e = explain.Explainer(model, np.zeros((4, 28, 28, 1), np.float32), "gradient", nsamples=8)
    a = e.explain(np.random.default_rng(0).random((28, 28)).astype(np.float32))
    assert a.values.shape == (3, 28, 28) and np.isfinite(a.values).all()


# ---------------------------------------------------------------- activations, filters, templates
@pytest.mark.parametrize("arch", list(zoo.ARCHS))
def test_activations_of_every_architecture(arch):
    model = zoo.build(arch, 26 if arch == "hwnet" else 10)
    acts = explain.Activations(model)
    x = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    outs = acts(x)
    layers = [l for l in model.layers if type(l).__name__ != "InputLayer"]
    assert [o.name for o in outs] == [l.name for l in layers]
    assert outs[-1].kind == "vector" and outs[-1].values.sum() == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_allclose(outs[-1].values, np.asarray(model(x.reshape(1, 28, 28, 1)))[0], atol=1e-5)
    for o in outs:
        if o.type in ("Conv2D", "MaxPooling2D", "BatchNormalization"):
            assert o.kind == "maps"
            grid = pictures.feature_grid(o.values)
            h, w, c = o.values.shape
            c = min(c, pictures.GRID_MAPS)
            cols = min(pictures.GRID_COLUMNS, c)
            assert grid.shape == (-(-c // cols) * (h + 1) - 1, cols * (w + 1) - 1)
            assert 0 <= grid.min() and grid.max() <= 1
        if o.type == "Dense":
            assert o.kind == "vector"
    kind = zoo.get(arch).kind
    templates = explain.weight_templates(model)
    filters = explain.conv_filters(model)
    if kind in ("linear", "mlp"):
        assert templates is not None and templates.weights.shape[1:] == (28, 28) and not filters
    else:
        assert templates is None and filters
        for name, f, note in filters:
            assert f.ndim == 3 and f.shape[1] == f.shape[2] and "filters" in note


def test_linear_templates_are_the_class_weights():
    model = zoo.build("logreg_l1", 10)
    t = explain.weight_templates(model, [str(i) for i in range(10)])
    kernel = model.get_layer("logits").get_weights()[0]
    assert t.weights.shape == (10, 28, 28) and t.labels == [str(i) for i in range(10)] and t.layer == "logits"
    np.testing.assert_allclose(t.weights[3].ravel(), kernel[:, 3])


def test_mlp_templates_are_its_first_layer_units():
    t = explain.weight_templates(zoo.build("mlp_dropout", 10), [str(i) for i in range(10)])
    assert t.weights.shape == (256, 28, 28) and t.layer == "dense1" and t.labels[0] == "unit 1"


def test_first_conv_filters_are_exact():
    model = zoo.build("seed004_cnn", 10)
    (name, f, note), (name2, f2, note2) = explain.conv_filters(model)
    kernel = model.get_layer("conv1").get_weights()[0]
    assert name == "conv1" and f.shape == (32, 7, 7) and "averaged" not in note
    np.testing.assert_allclose(f[5], kernel[:, :, 0, 5])
    assert f2.shape == (48, 5, 5) and "averaged over 32 input channels" in note2


def test_architecture_kind_from_cards(shipped):
    kinds = {b.name: explain.architecture_kind(b.card) for b in registry.list_bundles() if b.ok}
    assert kinds["mnist-logreg_l2"] == "linear" and kinds["mnist-mlp"] == "mlp" and kinds["mnist-hwnet"] == "cnn"
    assert explain.architecture_kind({"architecture": {"name": "logreg_l1"}}) == "linear"
    assert explain.architecture_kind(None) == "cnn"


# ---------------------------------------------------------------- pictures
def test_attribution_picture_is_red_for_support_and_blue_against():
    x = np.zeros((28, 28), np.float32)
    v = np.zeros((28, 28), np.float32)
    v[5, 5], v[20, 20] = 1.0, -1.0
    img = pictures.attribution_rgb(x, v, vmax=1.0, scale=2)
    assert img.shape == (56, 56, 3) and img.dtype == np.uint8
    # the ends of ColorBrewer's RdBu (colour-blind safe): dark red for, dark blue against
    assert (img[11, 11] == np.round(pictures.RED * 255)).all() and img[11, 11, 0] > 2 * img[11, 11, 2]
    assert (img[41, 41] == np.round(pictures.BLUE * 255)).all() and img[41, 41, 2] > 2 * img[41, 41, 0]
    assert (img[30, 5] == 255).all()  # no attribution, no ink: white paper


def test_tiles_lays_out_a_grid():
    g = pictures.tiles(np.ones((5, 4, 4)), cols=3, pad=1, value=0)
    assert g.shape == (9, 14) and g[4].sum() == 0 and g[:, 4].sum() == 0


# ---------------------------------------------------------------- the evaluation browser
def test_stored_evaluation_view(shipped):
    v = evaluation.EvalView.from_bundle("mnist-hwnet")
    assert v.source == "stored" and not v.has_correct
    assert v.confusion.shape == (10, 10) and v.confusion.sum() == v.n == 10_000
    assert v.accuracy == pytest.approx(np.trace(v.confusion) / v.n)
    np.testing.assert_allclose(v.normalised().sum(axis=1), 100)
    assert len(v.images) == len(v.true) == int(v.confusion.sum() - np.trace(v.confusion))  # every mistake stored
    pair = v.most_confused[0]
    t, p = v.classes.index(pair["true"]), v.classes.index(pair["predicted"])
    rows = v.cell(t, p)
    assert len(rows) == v.confusion[t, p] == pair["count"]
    assert (v.true[rows] == t).all() and (v.pred[rows] == p).all()
    assert list(v.confidence[rows]) == sorted(v.confidence[rows], reverse=True)
    assert len(v.cell(t, t)) == 0  # correct predictions are not stored
    nines = v.mistakes(true=[9])
    assert (v.true[nines] == 9).all() and list(v.confidence[nines]) == sorted(v.confidence[nines], reverse=True)
    rev = v.mistakes(true=[9], most_confident_first=False)
    assert list(rev) == list(nines[::-1]) or list(v.confidence[rev]) == sorted(v.confidence[rev])
    firsts = v.first_mistakes()
    assert len(firsts) == int((v.confusion - np.diag(np.diag(v.confusion)) > 0).sum())
    for (pp, tt), r in firsts.items():
        same = np.flatnonzero((v.pred == pp) & (v.true == tt))
        assert v.index[r] == v.index[same].min()
    rows = v.report_rows()
    assert [r["class"] for r in rows] == v.classes + ["macro avg", "weighted avg"]
    assert rows[-1]["support"] == 10_000


def test_fresh_evaluation_view_has_every_image():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 4)
    probs = np.eye(3)[y] * 0.8 + 0.1
    probs[0] = [0.1, 0.7, 0.2]  # one 0 taken for a 1
    x = rng.integers(0, 255, (12, 28, 28), dtype=np.uint8)
    v = evaluation.EvalView.from_predictions(probs.astype(np.float32), x, y, ["a", "b", "c"])
    assert v.source == "fresh" and v.has_correct
    assert v.confusion.tolist() == [[3, 1, 0], [0, 4, 0], [0, 0, 4]]
    assert list(v.cell(0, 1)) == [0] and len(v.cell(1, 1)) == 4
    assert list(v.mistakes()) == [0] and v.first_mistakes() == {(1, 0): 0}
    assert v.report["macro avg"]["support"] == 12


def test_our_gradient_path_gives_exactly_shaps_values(small_cnn):
    """The compiled, shared-forward gradients change the speed, not the numbers."""
    import shap

    model, mis = small_cnn
    bg = mis["images"][:16, ..., None].astype(np.float32) / 255
    e = explain.Explainer(model, bg, "gradient", nsamples=24)
    a = e.explain(mis["images"][7], seed=5)
    ref = shap.GradientExplainer(model, bg, batch_size=24)
    v, _ = ref.shap_values(one_image(mis["images"][7]), nsamples=24, ranked_outputs=np.array([a.classes]),
                           output_rank_order="custom", rseed=5)
    np.testing.assert_allclose(np.asarray(v)[0, ..., 0, :].transpose(2, 0, 1), a.values, atol=1e-6)
