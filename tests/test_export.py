"""Take a model home (core/export): a shipped bundle exported once to each format gives Keras's answers when
its file runs in its own runtime (ONNX Runtime, LiteRT's interpreter) on 1,000 MNIST test images; each zip's
example prints the right label; its preprocessing frames a picture as the app does; a format that cannot hold
a layer says so in a sentence while the others still work; the class's fine-tuned bundle exports the same way;
and `python -m core export`."""
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import ROOT, needs_shared
from core import datasets, export, registry
from core.cli import main
from core.errors import ExportError
from helpers import pen_digits, png_bytes
from unsupported_layers import Determinant, InverseErf, bundle_with

SHIPPED = "mnist-hwnet-lite-pen"  # small (1.5 MB), and a real CNN: convolutions, batch norm, dropout
FORMATS = ("keras", "onnx", "litert")


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """{format: the unzipped folder of SHIPPED exported to it}, from the shipped models folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    out = tmp_path_factory.mktemp("exported")
    folders = {}
    for fmt in FORMATS:
        zip_path = out / f"{fmt}.zip"
        export.write_zip(SHIPPED, fmt, zip_path)
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(out)
        folders[fmt] = out / f"{SHIPPED}-{fmt}"
    yield folders
    mp.undo()


def _onnx_probs(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _litert_probs(path: Path, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    image = interpreter.get_input_details()[0]
    interpreter.resize_tensor_input(image["index"], list(x.shape))  # the whole batch in one call
    interpreter.allocate_tensors()
    interpreter.set_tensor(image["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@needs_shared
def test_each_format_gives_kerass_answers_on_1000_mnist_test_images(shipped):
    x = datasets.load("mnist", download=False).test.x[:1000].astype(np.float32)[..., None] / 255.0
    model = keras.saving.load_model(ROOT / "models" / SHIPPED / "model.keras", compile=False)
    want = np.asarray(model(x, training=False))
    got = {"keras": np.asarray(keras.saving.load_model(shipped["keras"] / "model.keras", compile=False)(x)),
           "onnx": _onnx_probs(shipped["onnx"] / "model.onnx", x),
           "litert": _litert_probs(shipped["litert"] / "model.tflite", x)}
    for fmt, probs in got.items():
        assert probs.shape == want.shape, fmt
        assert (probs.argmax(1) == want.argmax(1)).all(), fmt  # the same class on every image
        assert float(np.abs(probs - want).max()) <= 1e-4, fmt


def test_each_zip_holds_labels_readme_preprocessing_and_an_example(shipped):
    classes = json.loads((ROOT / "models" / SHIPPED / "card.json").read_text())["classes"]
    for fmt, folder in shipped.items():
        files = {p.name for p in folder.iterdir()}
        model_file = export.FORMATS[fmt].model_file
        assert files == {model_file, "labels.txt", "README.md", "preprocess.py", "predict.py"} | \
            ({"index.html"} if fmt == "onnx" else set()), fmt
        assert (folder / "labels.txt").read_text().splitlines() == classes
        readme = (folder / "README.md").read_text()
        for needed in ("28, 28, 1", "white ink on black", "[0, 1]", "like MNIST", "centre of mass", model_file):
            assert needed in readme, (fmt, needed)
        assert "{{" not in readme and "{{" not in (folder / "predict.py").read_text()
    assert export.ORT_WEB_URL in (shipped["onnx"] / "README.md").read_text()  # the page's fallback, named
    assert export.ORT_WEB_URL in (shipped["onnx"] / "index.html").read_text()


@needs_shared
def test_each_example_reads_a_drawn_digit_right(shipped, tmp_path):
    (label, rgba), = pen_digits(1, "3")
    picture = tmp_path / "three.png"
    picture.write_bytes(png_bytes(rgba))
    for fmt, folder in shipped.items():
        run = subprocess.run([sys.executable, "predict.py", str(picture)], cwd=folder, capture_output=True,
                             text=True, timeout=300)
        assert run.returncode == 0, (fmt, run.stderr[-2000:])
        assert run.stdout.strip().startswith(f"{picture}: {label} ("), (fmt, run.stdout)


def _zip_preprocess():
    spec = importlib.util.spec_from_file_location("zip_preprocess", export.package.TEMPLATES / "preprocess.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_shared
@pytest.mark.parametrize("style", ["mnist", "emnist"])
def test_the_zips_preprocessing_frames_pictures_like_the_app(style):
    from PIL import Image

    from core.model import preprocess

    zip_pre = _zip_preprocess()
    for _, rgba in pen_digits(2):
        ours, theirs = preprocess.prepare(rgba, style).x, zip_pre.to_input(Image.fromarray(rgba), style)
        assert theirs.shape == ours.shape == (1, 28, 28, 1) and theirs.dtype == np.float32
        assert float(np.abs(ours - theirs).mean()) < 0.01 and float(np.abs(ours - theirs).max()) < 0.25
        dark_on_light = 255 - rgba[..., :3]  # a pen on paper: inverted by both
        assert float(np.abs(zip_pre.to_input(Image.fromarray(dark_on_light), style) - theirs).max()) < 1e-5
    assert zip_pre.to_input(Image.new("L", (50, 50), 255)) is None  # blank paper: no input


# ---------------------------------------------------------------- what a format cannot hold
def test_a_format_that_cannot_hold_a_layer_says_so_and_the_others_still_work(models_dir, tmp_path, capsys):
    det = bundle_with(Determinant(name="corner_det"), "det")
    with pytest.raises(ExportError, match=r"cannot be saved as LiteRT: its layer 'corner_det' uses "
                                          r"MatrixDeterminant.*The other formats still work"):
        export.build_zip(det, "litert")
    for fmt in ("keras", "onnx"):
        assert zipfile.ZipFile(io.BytesIO(export.build_zip(det, fmt))).testzip() is None
    erf = bundle_with(InverseErf(name="erf"), "erf")
    with pytest.raises(ExportError, match=r"cannot be saved as ONNX: its layer 'erf' uses Erfinv"):
        export.build_zip(erf, "onnx")
    # The command line: one sentence, exit code 2, and a file that was at --out is left as it was.
    out = tmp_path / "mine.zip"
    out.write_bytes(b"kept")
    assert main(["export", "--model", det, "--format", "litert", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: This model cannot be saved as LiteRT") and "\n" not in err
    assert out.read_bytes() == b"kept"
    assert main(["export", "--model", det, "--format", "keras", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["format"] == "keras" and printed["bytes"] == out.stat().st_size
    assert zipfile.ZipFile(out).read("det-keras/model.keras") == (models_dir / det / "model.keras").read_bytes()
    for bad, said in ((["--model", "nope", "--format", "onnx"], "no model called 'nope'"),
                      (["--model", det, "--format", "onnx", "--out", str(tmp_path / "a.txt")], "should end in .zip")):
        args = ["export", *bad] + ([] if "--out" in bad else ["--out", str(tmp_path / "x.zip")])
        assert main(args) == 2 and said in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: not one of keras, onnx, litert
        main(["export", "--model", det, "--format", "pdf", "--out", str(out)])


# ---------------------------------------------------------------- the class's own model
@needs_shared
def test_the_classs_fine_tuned_model_exports_the_same_way(tiny_bundle, tmp_path, monkeypatch):
    from core.model import preprocess
    from core.training.run import train
    from core.training.settings import Settings
    from core.classroom import finetune
    from core.classroom.store import open_store

    models, start = tiny_bundle
    shutil.copytree(models / start, tmp_path / "models" / start)  # the shared session bundle's folder stays as it is
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    store = open_store()
    for i, (label, rgba) in enumerate(pen_digits(2)):  # 20 drawings by 4 students
        x = (preprocess.prepare(rgba, "mnist").x[0, :, :, 0] * 255).astype(np.uint8)
        store.add(f"kid{i % 4}", label, x, "mnist", start, [str(d) for d in range(10)], np.full(10, 0.1))
    settings = dict(finetune.settings_for(start, epochs=1), limit=600)
    tuned = train(Settings(**settings))
    assert registry.inspect(tuned).card["dataset"] == "class-drawings"
    with zipfile.ZipFile(io.BytesIO(export.build_zip(tuned, "onnx"))) as zf:
        onnx_file = tmp_path / "tuned.onnx"
        onnx_file.write_bytes(zf.read(f"{tuned}-onnx/model.onnx"))
        assert zf.read(f"{tuned}-onnx/labels.txt").decode().split() == [str(d) for d in range(10)]
    x = datasets.load("mnist", download=False).test.x[:200].astype(np.float32)[..., None] / 255.0
    want = np.asarray(registry.load_model(tuned)(x, training=False))
    got = _onnx_probs(onnx_file, x)
    assert (got.argmax(1) == want.argmax(1)).all() and float(np.abs(got - want).max()) <= 1e-4


# ---------------------------------------------------------------- the benchmark
def test_the_export_benchmark_runs(monkeypatch, capsys):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import export_speed

    assert export_speed.main(["--models", "mnist-logreg_l2", "--repeat", "2"]) == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["export_speed"]
    assert [r["format"] for r in rows] == list(FORMATS)
    for r in rows:
        assert r["export_s"] > 0 and r["zip_bytes"] > 0 and r["model_bytes"] > 0, r
        assert r["exported_ms"] > 0 and r["keras_compiled_ms"] > 0, r  # both speeds, in the same run
