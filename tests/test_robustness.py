"""Issue 7's cases not covered elsewhere: the Draw page's upload path (bad and odd pictures shown as a
sentence, never a traceback), Keras safe mode (a model file holding code is refused and its code never runs),
no pickle from a bundle, the upload limits, user names in every entry point that takes one, models loaded once
per server process rather than once per session, and no per-run clean-up that makes many users wait."""
import json
import pickle
import subprocess
import sys

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, needs_shared
from core import datasets, registry
from core.model import kaggle_submission
from core.training import run as training
from core.datasets import kaggle
from core.cli import main
from core.errors import BadModel, HWLabError
from core.model.preprocess import MAX_UPLOAD_BYTES
from helpers import canvas_with_lines, pen_digits, png_bytes
from test_preprocess import _png_header_only  # a PNG header that claims 30000x30000 pixels
from ui.prediction import PLACEHOLDER

APP = str(ROOT / "app.py")
CARD = {"name": "x", "title": "A model with code in it", "dataset": "mnist", "classes": [str(i) for i in range(10)],
        "test_accuracy": 0.5, "preprocess": "mnist"}


def _jpeg(rgb: np.ndarray) -> bytes:
    return png_bytes(rgb, format="JPEG", quality=95)


def _errors(at) -> str:
    return " ".join(e.value for e in at.error)


def _upload(at, name: str, data: bytes, mime="image/png"):
    at.get("file_uploader")[0].set_value((name, data, mime))
    return at.run()


# ---------------------------------------------------------------- the Draw page's upload path
def _predictions(at) -> list[str]:
    return [m.value for m in at.metric if m.label == "Prediction" and m.value != PLACEHOLDER]  # the canvas's waits


@needs_shared
def test_draw_page_uploads_good_odd_and_bad_pictures(monkeypatch):
    """One session of the Draw page on the shipped models takes a sequence of uploads: each is a prediction,
    a warning or a sentence, never an exception."""
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    [uploader] = at.get("file_uploader")
    assert uploader.proto.max_upload_size_mb == MAX_UPLOAD_BYTES // 2**20  # the browser is told our limit

    [(label, rgba)] = pen_digits(1, labels="7")
    _upload(at, "seven.png", png_bytes(rgba, "RGBA"))
    assert not at.exception and not at.error and at.sidebar.selectbox(key="model_name").value
    assert _predictions(at) == [label]

    photo = 235 - (rgba[..., :3].astype(int) * 200 // 255)  # dark ink on light paper, as a phone would take it
    _upload(at, "photo.jpg", _jpeg(photo.astype(np.uint8)), "image/jpeg")
    assert not at.exception and _predictions(at) == [label]
    assert any("inverted" in c.value for c in at.caption)

    _upload(at, "dot.png", png_bytes(canvas_with_lines([[(140, 140)]], width=10), "RGBA"))
    assert not at.exception and len(_predictions(at)) == 1
    assert any("very small" in w.value for w in at.warning)

    full = canvas_with_lines([[(20, y), (260, y)] for y in range(20, 261, 16)], width=12)
    _upload(at, "scribble.png", png_bytes(full, "RGBA"))
    assert not at.exception and any("mostly ink" in w.value for w in at.warning)

    _upload(at, "blank.png", png_bytes(np.zeros((280, 280), np.uint8)))
    assert not at.exception and not _predictions(at) and any("No ink" in w.value for w in at.warning)

    seven_png = png_bytes(rgba, "RGBA")
    bad = {
        "notes.png": (b"I am a text file\n" * 20, "not a picture"),
        "cut.png": (seven_png[: len(seven_png) // 2], "damaged or truncated"),
        "bomb.png": (_png_header_only(30000, 30000), "too large"),
        "pixel.png": (png_bytes(np.zeros((1, 1), np.uint8)), "too small"),
        "huge.png": (b"\x89PNG" + b"\x00" * (MAX_UPLOAD_BYTES + 1), "limit is 10 MB"),
    }
    for name, (data, sentence) in bad.items():
        _upload(at, name, data)
        assert not at.exception, name
        assert name in _errors(at) and sentence in _errors(at), (name, _errors(at))
        assert not _predictions(at), name  # no stale prediction from the picture before
        assert "object at 0x" not in _errors(at), name  # a sentence, not a Python repr


def _served_config() -> list[str]:
    """server.maxUploadSize, where it was set, and runner.postScriptGC, as `streamlit run` in the project reads them."""
    code = ("from streamlit import config; config.get_config_options(force_reparse=True); "
            "print(config.get_option('server.maxUploadSize'), config.get_where_defined('server.maxUploadSize'), "
            "config.get_option('runner.postScriptGC'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return out.stdout.split()


# ---------------------------------------------------------------- upload limits
def test_the_server_upload_limit_is_set_and_the_picture_limit_is_below_it():
    """The server-wide limit is really read by Streamlit from .streamlit/config.toml (run from the project
    folder, as `streamlit run app.py` is), and our picture limit is below it."""
    mb, where, _ = _served_config()
    assert where == str(ROOT / ".streamlit" / "config.toml")
    assert 0 < MAX_UPLOAD_BYTES < int(mb) * 2**20
    assert int(mb) * 2**20 >= 80 * 10**6  # Kaggle's train.csv (about 73 MB) still fits


# ---------------------------------------------------------------- Keras safe mode, no pickle
def _bundle_with_code(models_dir, marker):
    """A bundle whose model.keras holds a Lambda layer with Python code that creates `marker` when it runs."""
    import keras

    inputs = keras.Input((28, 28, 1))
    code = eval(f"lambda t: (open({str(marker)!r}, 'a').close(), t)[1]")  # the path is in the code itself
    x = keras.layers.Lambda(code)(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    d = models_dir / "with-code"
    d.mkdir()
    keras.Model(inputs, outputs).save(d / "model.keras")
    (d / "card.json").write_text(json.dumps(dict(CARD, name="with-code")))
    marker.unlink(missing_ok=True)  # building the model ran the code once; loading must not
    return d


def test_a_model_file_with_code_is_refused_and_its_code_never_runs(models_dir, tmp_path):
    import keras

    marker = tmp_path / "code-ran"
    d = _bundle_with_code(models_dir, marker)
    with pytest.raises(BadModel, match="with-code: model.keras cannot be loaded.*(unsafe|safe_mode)"):
        registry.load_model("with-code")
    with pytest.raises(BadModel, match="cannot be loaded"):
        registry.Predictor("with-code")
    assert not marker.exists()

    at = AppTest.from_file(APP, default_timeout=120).run()  # the app says so in a sentence
    assert not at.exception
    assert "with-code: model.keras cannot be loaded" in _errors(at)
    assert not marker.exists()

    keras.saving.load_model(d / "model.keras", safe_mode=False)  # the control: without safe mode the code runs
    assert marker.exists()


class _Payload:
    """Unpickling this creates a file: proof that a pickle from a bundle ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "a")


def test_a_bundle_file_holding_a_pickle_is_refused_unread(models_dir, tmp_path):
    (models_dir / "evil").mkdir()
    marker = tmp_path / "pickle-ran"
    evil = np.empty(1, dtype=object)
    evil[0] = _Payload(marker)
    np.savez(models_dir / "evil" / "misclassified.npz", images=evil)
    with pytest.raises(BadModel, match="evil: misclassified.npz cannot be read"):
        registry.read_misclassified("evil")
    assert not marker.exists()
    pickle.loads(pickle.dumps(evil[0])).close()  # the control: unpickled, it does create the file
    assert marker.exists()


# ---------------------------------------------------------------- names from users, in every entry point
UNSAFE = ["../../etc", "/etc/passwd", "a/../../b", ".."]


@pytest.mark.parametrize("bad", UNSAFE)
def test_unsafe_names_are_refused_by_every_library_entry(bad, models_dir):
    for call in (lambda: registry.read_history(bad), lambda: registry.read_evaluation(bad),
                 lambda: registry.read_misclassified(bad), lambda: registry.update_card(bad, title="x"),
                 lambda: registry.unique_name(bad), lambda: registry.inspect(bad)):
        with pytest.raises(BadModel, match="not a valid model name"):
            call()
    with pytest.raises(HWLabError, match="Unknown dataset"):
        datasets.load(bad)
    with pytest.raises(HWLabError, match="Unknown dataset"):
        datasets.file_status(bad)
    with pytest.raises(HWLabError, match="Unknown dataset"):
        training.Settings(dataset=bad).resolved()
    with pytest.raises(HWLabError, match="not a valid model name"):
        training.Settings(init_from=bad).resolved()
    with pytest.raises(HWLabError, match="not a valid model name"):
        kaggle_submission.write_submission(bad, b"", models_dir / "s.csv")
    assert list(models_dir.iterdir()) == []


@pytest.mark.parametrize("args", [
    ["evaluate", "--model", "../../etc", "--dataset", "mnist"],
    ["evaluate", "--model", "mnist-logreg_l2", "--dataset", "../../etc"],
    ["train", "--name", "../../etc", "--epochs", "1"],
    ["train", "--init-from", "../../etc", "--epochs", "1"],
    ["train", "--dataset", "../../etc", "--epochs", "1"],
    ["datasets", "--download", "../../etc"],
    ["submit", "--model", "../../etc", "--csv", "test.csv", "--out", "s.csv"],
])
def test_unsafe_names_on_the_command_line_exit_2(args, models_dir, tmp_path, monkeypatch, capsys):
    if "mnist-logreg_l2" in args:  # a real model, so that the dataset name is what gets refused
        monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    monkeypatch.chdir(tmp_path)
    code = main(args)
    _, err = capsys.readouterr()
    assert code == 2 and "error:" in err and "Traceback" not in err
    assert "not a valid model name" in err or "Unknown dataset" in err, err
    assert list(models_dir.iterdir()) == [] and list(tmp_path.iterdir()) == [models_dir]


def test_an_uploaded_csv_name_never_becomes_a_path(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("HWLAB_DATA_DIR", str(data))
    csv = ("label," + ",".join(kaggle.PIXELS) + "\n" + "3," + ",".join(["0"] * 784) + "\n").encode()
    path, rows = kaggle.install(csv, "train", "../../../escaped.csv")
    assert path == data / "kaggle-digit-recognizer" / "train.csv" and rows == 1
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["train.csv"]


def test_a_path_in_session_state_never_reaches_the_disk(monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["model_name"] = "../../etc"
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["model_name"] in {b.name for b in registry.list_bundles()}


# ---------------------------------------------------------------- one model load per process
def test_sessions_share_one_loaded_model(monkeypatch):
    """Two sessions (two AppTests, as two browser tabs) in one process: the model is built once."""
    import ui.state

    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    built = []

    class Counting(registry.Predictor):
        def __init__(self, name):
            built.append(name)
            super().__init__(name)

    monkeypatch.setattr(registry, "Predictor", Counting)
    ui.state._predictor.clear()
    try:
        first = AppTest.from_file(APP, default_timeout=120).run()
        second = AppTest.from_file(APP, default_timeout=120).run()
        assert not first.exception and not second.exception
        picked = first.session_state["model_name"]
        assert second.session_state["model_name"] == picked
        assert built == [picked]
        assert ui.state.predictor(picked) is ui.state.predictor(picked)
    finally:
        ui.state._predictor.clear()  # later tests must not get a Counting instance


def test_no_per_run_work_that_grows_with_the_class(monkeypatch):
    """After every run (each stroke is one) Streamlit would call keras.backend.clear_session() and a full garbage
    collection: about 1 s of CPU a run with TensorFlow loaded, which 20 users drawing turn into seconds of wait.
    ui.state turns the first off (the models it caches are shared, there is nothing to clear), the config the
    second (benchmarks/concurrent_users.py measures the memory without it)."""
    import keras
    from streamlit.runtime.scriptrunner import script_runner

    import ui.state  # noqa: F401  (importing it, as every page run does, makes the change)

    cleared = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: cleared.append(1))
    script_runner._clean_problem_modules()
    assert cleared == []
    assert _served_config()[2] == "False"
