"""core/insight on the shared data and the shipped bundles: the line-up, nearest training examples, the
feature map, several characters in one picture, look-alikes, and their CLI commands."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core import config
from core.cli import main
from core.errors import DatasetMissing
from core.insight import feature_map, lookalikes, segment
from core.insight.lineup import LineUp
from core.insight.neighbours import Neighbours
from core.insight.reading import read
from core.registry import Predictor
from helpers import canvas_with_lines, pen_digits
from tests.conftest import needs_shared

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "models"
READER = "mnist-hwnet-lite-pen"
SMALL = "sklearn-digits-wide-filter-cnn-aug"  # a dataset of 1,797 images: neighbours in seconds

pytestmark = [needs_shared, pytest.mark.skipif(not (SHIPPED / READER / "model.keras").is_file(),
                                               reason="shipped models absent")]


@pytest.fixture
def shipped(monkeypatch, tmp_path):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(SHIPPED))
    monkeypatch.setenv("HWLAB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def side_by_side(drawings) -> np.ndarray:
    """280x280 canvases next to each other: one wide canvas (840x280 for three)."""
    return np.concatenate([rgba for _, rgba in drawings], axis=1)


def trios(n: int):
    digits = pen_digits(3)  # 30 real pen digits by the pendigits writers, 3 of each
    return [[digits[(7 * k + 11 * j) % len(digits)] for j in range(3)] for k in range(n)]


# ---------------------------------------------------------------- several characters
def test_three_pen_digits_side_by_side_are_split_and_read(shipped):
    pred = Predictor(READER)
    right = 0
    for trio in trios(6):
        wide = side_by_side(trio)
        r = read(pred, wide)
        assert len(r.characters) == 3
        for j, c in enumerate(r.characters):  # each box lies in its own third of the canvas
            x0, _, x1, _ = c.box
            assert 280 * j <= x0 < x1 <= 280 * (j + 1)
        right += r.text == "".join(label for label, _ in trio)
    assert right >= 5, right


def test_a_dot_and_a_separate_bar_stay_with_their_character():
    # "i" (a stem and a dot above it), then a "7" whose bar crosses it in a separate stroke, then a "1"
    pic = canvas_with_lines([[(60, 110), (60, 230)], [(60, 60), (62, 62)], [(250, 70), (350, 70), (290, 230)],
                             [(260, 150), (340, 150)], [(520, 60), (520, 230)]], size=840)[:280]
    pieces = segment.split(pic)
    assert [p.box[0] // 100 for p in pieces] == [0, 2, 5]  # three characters, not five strokes
    assert pieces[0].box[1] < 60 < 230 <= pieces[0].box[3]  # the dot is inside the i's box
    assert all(p.prepared.x.shape == (1, 28, 28, 1) for p in pieces)


def test_blank_wide_canvas_has_no_characters(shipped):
    blank = np.zeros((280, 840, 4), np.uint8)
    blank[..., 3] = 255
    assert segment.split(blank) == [] and read(Predictor(READER), blank).text == ""


# ---------------------------------------------------------------- look-alikes
def test_lookalikes_are_said_only_when_the_runner_up_is_one():
    assert lookalikes.note([("0", 0.55), ("O", 0.40), ("D", 0.05)]).startswith("0 or O: to this model they look the same")
    assert lookalikes.look_alikes([("g", 0.5), ("9", 0.3), ("q", 0.15)]) == ["g", "9", "q"]
    assert lookalikes.note([("0", 0.55), ("6", 0.40), ("O", 0.05)]) is None  # O too unlikely to mention
    assert lookalikes.note([("4", 0.6), ("9", 0.4)]) is None  # not a look-alike pair, just a doubt


# ---------------------------------------------------------------- line-up
def test_lineup_orders_from_logistic_regression_to_cnn_and_reads_a_drawing(shipped):
    line = LineUp("mnist")
    kinds = [b.card["architecture"]["kind"] for b in line.bundles]
    assert len(line.bundles) >= 8 and kinds == sorted(kinds, key=["linear", "mlp", "cnn"].index)
    assert kinds[0] == "linear" and kinds[-1] == "cnn"
    label, rgba = pen_digits(1, "3")[0]
    answers = line.read(rgba)
    assert [a.model for a in answers] == [b.name for b in line.bundles]
    assert all(len(a.top) == 3 and a.x.shape == (1, 28, 28, 1) and a.size_bytes > 0 for a in answers)
    assert sum(a.label == label for a in answers) >= len(answers) - 2
    assert line.read(np.zeros((280, 280, 4), np.uint8)) == []


# ---------------------------------------------------------------- nearest training examples
def test_nearest_examples_find_the_image_itself_and_are_cached(shipped):
    pred = Predictor(SMALL)
    near = Neighbours(pred)
    files = list((shipped / "insight").glob("*.npz"))
    assert len(files) == 1
    i = 17
    x = near.image(i)[None, :, :, None].astype(np.float32) / 255.0
    found = near.query(x, 5)[0]
    assert found[0].index == i and found[0].distance < 1e-2
    assert [n.distance for n in found] == sorted(n.distance for n in found)
    assert found[0].label == near.data.classes[int(near.data.train.y[i])]
    stamp = files[0].stat().st_mtime_ns
    again = Neighbours(pred).query(x, 5)[0]  # read from the cache: same answer, file untouched
    assert [n.index for n in again] == [n.index for n in found] and files[0].stat().st_mtime_ns == stamp


def test_nearest_examples_say_when_the_dataset_is_missing(shipped, monkeypatch, tmp_path):
    from core.datasets import shipped_sample

    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path / "nothing"))
    monkeypatch.setattr(shipped_sample, "FILE", tmp_path / "no-sample.npz")  # nor the sample shipped with the app
    with pytest.raises(DatasetMissing, match="MNIST"):
        Neighbours(Predictor(READER))


# ---------------------------------------------------------------- the map
def test_a_new_bundle_gets_its_map_and_the_map_places_inputs(tiny_bundle, monkeypatch):
    models, name = tiny_bundle
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    m = feature_map.load(name)  # drawn right after the save, by the callers of training (tests/conftest.py)
    assert m is not None and m.xy.shape == (len(m.label), 2)
    assert len(m.label) == 10 * (config.map_points() // 10)  # stratified: as many of each digit
    assert np.bincount(m.label, minlength=10).min() > 0 and m.images.shape == (len(m.label), 28, 28)
    from core import datasets

    test = datasets.load("mnist", download=False).test
    assert np.array_equal(m.images[:5], test.x[m.index[:5]]) and np.array_equal(m.label, test.y[m.index])
    from core.insight.features import Embedder

    pred = Predictor(name)
    feats = Embedder(pred.model)(m.images[:20, ..., None].astype(np.float32) / 255.0)
    placed = m.place(feats)  # a map image placed anew lands on its own point
    assert np.abs(placed - m.xy[:20]).max() < 0.05 * np.ptp(m.xy)


def test_shipped_maps_fit_the_models_folder_budget():
    maps = list(SHIPPED.glob(f"*/{feature_map.FILE}"))
    total = sum(f.stat().st_size for f in SHIPPED.rglob("*") if f.is_file())
    assert maps and total < 60e6, total


# ---------------------------------------------------------------- CLI
def _run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_cli_lineup_neighbours_read(shipped, tmp_path, capsys):
    label, rgba = pen_digits(1, "7")[0]
    one = tmp_path / "seven.png"
    Image.fromarray(rgba, "RGBA").save(one)
    code, rows, _ = _run(capsys, "lineup", "--dataset", "mnist", str(one))
    assert code == 0 and len(rows) >= 8 and {r["file"] for r in rows} == {str(one)}
    assert all({"model", "label", "confidence", "top"} <= set(r) for r in rows)
    assert next(r for r in rows if r["model"] == READER)["label"] == label

    code, rows, _ = _run(capsys, "neighbours", "--model", SMALL, "--k", "3", str(one))
    assert code == 0 and len(rows) == 1 and len(rows[0]["neighbours"]) == 3
    assert set(rows[0]["neighbours"][0]) == {"index", "label", "distance"}

    trio = trios(1)[0]
    wide = tmp_path / "wide.png"
    Image.fromarray(side_by_side(trio), "RGBA").save(wide)
    code, rows, _ = _run(capsys, "read", "--model", READER, str(wide))
    assert code == 0 and rows[0]["file"] == str(wide) and len(rows[0]["characters"]) == 3
    assert rows[0]["text"] == "".join(c["label"] for c in rows[0]["characters"])
    assert all(len(c["box"]) == 4 and 0 < c["confidence"] <= 1 for c in rows[0]["characters"])


def test_cli_insight_errors_are_sentences(shipped, tmp_path, capsys, monkeypatch):
    bad = tmp_path / "notes.png"
    bad.write_text("not a picture")
    code, rows, err = _run(capsys, "read", "--model", READER, str(bad), str(tmp_path / "absent.png"))
    assert code == 2 and rows == [] and len(err.splitlines()) == 2 and all(
        line.startswith("error: ") for line in err.splitlines())
    code, _, err = _run(capsys, "lineup", "--dataset", "no-such-set", str(bad))
    assert code == 2 and err.startswith("error: Unknown dataset 'no-such-set'") and "Traceback" not in err
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path / "nothing"))
    from core.datasets import shipped_sample

    monkeypatch.setattr(shipped_sample, "FILE", tmp_path / "no-sample.npz")  # nor the sample shipped with the app
    code, _, err = _run(capsys, "neighbours", "--model", READER, str(bad))
    assert code == 2 and "MNIST" in err and err.count("\n") == 1
    with pytest.raises(SystemExit) as stop:
        main(["neighbours", "--model", READER, "--k", "0", str(bad)])
    err = capsys.readouterr().err  # one sentence, not the whole usage before it
    assert stop.value.code == 2 and err.count("\n") == 1 and "--k must be a whole number from 1 to 100" in err
    assert "usage:" not in err
