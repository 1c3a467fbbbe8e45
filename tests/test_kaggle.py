"""Kaggle Digit Recognizer: CSVs in the competition's format, written here from the shared MNIST files;
validation errors name the first bad row or column; big files are streamed; uploads are atomic;
submission.csv from the library and from `python -m core submit`."""
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import ROOT, needs_shared
from core import datasets
from core.model import kaggle_submission
from core.datasets import kaggle
from core.cli import main
from core.errors import BadCSV, BadModel

pytestmark = needs_shared
N_TRAIN, N_TEST = 3000, 1000


def csv_text(x, y=None) -> str:
    """A CSV in Kaggle's format: header, then label (train) and the 784 pixels of each image, row by row."""
    flat = np.asarray(x).reshape(len(x), -1).astype(np.int64)
    if y is not None:
        flat = np.column_stack([np.asarray(y), flat])
    header = ("label," if y is not None else "") + ",".join(kaggle.PIXELS)
    return header + "\n" + "\n".join(",".join(map(str, row)) for row in flat.tolist()) + "\n"


@pytest.fixture(scope="module")
def mnist():
    return datasets.load("mnist", download=False)


@pytest.fixture(scope="module")
def kaggle_files(mnist, tmp_path_factory):
    """A data folder with kaggle-digit-recognizer/train.csv (3,000 MNIST training images) and test.csv
    (1,000 MNIST test images, no labels)."""
    d = tmp_path_factory.mktemp("kaggle-data")
    k = d / "kaggle-digit-recognizer"
    k.mkdir()
    (k / "train.csv").write_text(csv_text(mnist.train.x[:N_TRAIN], mnist.train.y[:N_TRAIN]))
    (k / "test.csv").write_text(csv_text(mnist.test.x[:N_TEST]))
    return d


@pytest.fixture(scope="module")
def small_lines(mnist):
    return csv_text(mnist.train.x[:5], mnist.train.y[:5]).splitlines()


def test_train_and_test_csv_read_back_exactly(kaggle_files, mnist):
    tr = kaggle.read_csv(kaggle_files / "kaggle-digit-recognizer" / "train.csv")
    assert tr.kind == "train" and tr.x.dtype == np.uint8 and tr.x.shape == (N_TRAIN, 28, 28)
    assert np.array_equal(tr.x, mnist.train.x[:N_TRAIN]) and np.array_equal(tr.y, mnist.train.y[:N_TRAIN])
    te = kaggle.read_csv((kaggle_files / "kaggle-digit-recognizer" / "test.csv").read_bytes(), "test")
    assert te.kind == "test" and te.y is None and np.array_equal(te.x, mnist.test.x[:N_TEST])


def test_windows_line_ends_quotes_and_a_trailing_blank_line_are_fine(small_lines):
    text = "\r\n".join(['"label",' + ",".join(f'"{c}"' for c in kaggle.PIXELS)] + small_lines[1:]) + "\r\n\r\n"
    assert len(kaggle.read_csv(("\ufeff" + text).encode(), "train")) == 5


def _replace_cell(lines, row, col, value):
    cells = lines[row].split(",")
    cells[col] = value
    return lines[:row] + [",".join(cells)] + lines[row + 1:]


def _bad_files(lines):
    header, rows = lines[0], lines[1:]
    pixels_only = [header.removeprefix("label,")] + [r.split(",", 1)[1] for r in rows]
    return {
        "empty": ("", "train", "is empty"),
        "header only": (header + "\n", "train", "no rows"),
        "no header": ("\n".join(rows), "train", "numbers, not column names"),
        "missing column": ("\n".join([header.replace(",pixel5,", ",")] + rows), "train", "'pixel5' is missing"),
        "extra column": ("\n".join([header + ",extra"] + [r + ",0" for r in rows]), "train",
                         "column 786 'extra' is not expected"),
        "duplicate column": ("\n".join([header.replace("pixel7,", "pixel6,", 1)] + rows), "train",
                             "column 9 'pixel6' appears twice"),
        "wrong order": ("\n".join([header.replace("pixel1,pixel2,", "pixel2,pixel1,")] + rows), "train",
                        "column 3 is 'pixel2' where 'pixel1' belongs"),
        "not a number": ("\n".join(_replace_cell(lines, 3, 200, "x")), "train",
                         "row 3 (not counting the header), column 'pixel199': 'x' is not a number"),
        "too big": ("\n".join(_replace_cell(lines, 4, 784, "256")), "train", "row 4 (not counting the header), "
                    "column 'pixel783': 256 is out of range"),
        "negative": ("\n".join(_replace_cell(lines, 2, 1, "-1")), "train", "row 2 (not counting the header), "
                     "column 'pixel0': -1 is out of range"),
        "not whole": ("\n".join(_replace_cell(lines, 5, 400, "12.5")), "train", "row 5 (not counting the header), "
                      "column 'pixel399': 12.5 is not a whole number"),
        "empty cell": ("\n".join(_replace_cell(lines, 1, 10, "")), "train", "row 1 (not counting the header), "
                       "column 'pixel9': the cell is empty"),
        "bad label": ("\n".join(_replace_cell(lines, 2, 0, "10")), "train", "column 'label': label 10 is not a digit"),
        "long row": ("\n".join(lines[:3] + [lines[3] + ",0"] + lines[4:]), "train",
                     "line 4 of the file has 786 values"),
        "short row": ("\n".join(lines[:2] + [lines[2].rsplit(",", 3)[0]] + lines[3:]), "train",
                      "row 2 (not counting the header), column 'pixel781': the cell is empty"),
        "test given as train": ("\n".join(pixels_only), "train", "no 'label' column"),
        "train given as test": ("\n".join(lines), "test", "has a 'label' column"),
    }


@pytest.mark.parametrize("case", list(_bad_files(["label," + ",".join(kaggle.PIXELS)] * 6)))
def test_a_bad_csv_names_the_first_bad_row_or_column(case, small_lines):
    text, kind, expected = _bad_files(small_lines)[case]
    with pytest.raises(BadCSV) as err:
        kaggle.read_csv(text.encode(), kind, "train.csv")
    assert expected in str(err.value) and str(err.value).startswith("train.csv")


def test_binary_garbage_is_not_a_csv():
    with pytest.raises(BadCSV, match="not a text CSV"):
        kaggle.read_csv(b"\x89PNG\r\n\x1a\n\xff\xfe" + bytes(range(256)), "train", "photo.csv")


def test_a_file_over_the_row_limit_is_refused_with_a_reason(small_lines, monkeypatch):
    monkeypatch.setattr(kaggle, "CHUNK_ROWS", 2)
    monkeypatch.setattr(kaggle, "MAX_ROWS", 3)
    with pytest.raises(BadCSV, match="more than 3 rows"):
        kaggle.read_csv("\n".join(small_lines).encode(), "train")


def test_a_100_mb_file_is_streamed_in_bounded_memory(tmp_path):
    """A fresh interpreter parses a 100 MB train.csv; its peak memory stays far below what reading it whole
    (100 MB of text plus a 785-column int64 table, over 300 MB) would take."""
    row = ("3," + ",".join(str((i * 37) % 256) for i in range(784)) + "\n").encode()
    big = tmp_path / "train.csv"
    with open(big, "wb") as fh:
        fh.write(("label," + ",".join(kaggle.PIXELS) + "\n").encode())
        for _ in range(100_000_000 // len(row) // 1000 + 1):
            fh.write(row * 1000)
    assert big.stat().st_size > 100_000_000
    code = textwrap.dedent(f"""
        import resource, sys
        sys.path.insert(0, {str(ROOT)!r})
        import pandas, numpy
        from core.datasets import kaggle
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        d = kaggle.read_csv({str(big)!r}, "train")
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(len(d), d.x.nbytes, (after - before) * 1024)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows, nbytes, grown = map(int, out.stdout.split())
    assert rows * len(row) > 99_000_000 and nbytes == rows * 784
    assert grown < 200_000_000, f"peak memory grew by {grown / 1e6:.0f} MB"


def test_the_dataset_is_train_csv_re_split_with_a_seed(kaggle_files, mnist, monkeypatch):
    monkeypatch.setenv("HWLAB_DATA_DIR", str(kaggle_files))
    ds = datasets.load("kaggle-digit-recognizer")
    assert ds.classes == datasets.DIGITS and ds.style == "mnist"
    assert len(ds.train) + len(ds.test) == N_TRAIN and len(ds.test) == pytest.approx(0.2 * N_TRAIN, abs=10)
    assert "re-split" in ds.provenance and "seed 0" in ds.provenance and "train.csv" in ds.provenance
    assert any("1,000 unlabelled" in n for n in ds.notes)
    assert np.array_equal(np.bincount(ds.train.y) + np.bincount(ds.test.y), np.bincount(mnist.train.y[:N_TRAIN]))
    status = datasets.file_status("kaggle-digit-recognizer")
    assert status["state"] == "complete" and status["missing"] == [] and status["download"] == "manual"


def test_missing_kaggle_files_say_where_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    with pytest.raises(datasets.DatasetMissing) as err:
        datasets.load("kaggle-digit-recognizer")
    msg = str(err.value)
    assert "train.csv" in msg and str(tmp_path / "kaggle-digit-recognizer") in msg and kaggle.URL in msg


def test_an_upload_is_saved_only_when_valid_and_never_half(kaggle_files, tmp_path, monkeypatch, small_lines):
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    folder = tmp_path / "kaggle-digit-recognizer"
    good = "\n".join(small_lines).encode()
    path, rows = kaggle.install(good, "train", "train.csv")
    assert path == folder / "train.csv" and rows == 5 and path.read_bytes() == good

    with pytest.raises(BadCSV, match="'x' is not a number"):
        kaggle.install("\n".join(_replace_cell(small_lines, 2, 5, "x")).encode(), "train", "train.csv")
    with pytest.raises(BadCSV, match="has a 'label' column"):
        kaggle.install(good, "test", "test.csv")
    assert sorted(p.name for p in folder.iterdir()) == ["train.csv"] and path.read_bytes() == good

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(kaggle, "read_csv", interrupted)
    with pytest.raises(KeyboardInterrupt):
        kaggle.install(kaggle_files / "kaggle-digit-recognizer" / "train.csv", "train")
    assert sorted(p.name for p in folder.iterdir()) == ["train.csv"] and path.read_bytes() == good
    monkeypatch.undo()
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    path, rows = kaggle.install(kaggle_files / "kaggle-digit-recognizer" / "test.csv", "test")
    assert rows == N_TEST and kaggle.find("test") == path


def test_predictions_use_only_the_digit_classes_of_a_bigger_model():
    classes = datasets.EMNIST_CLASSES["bymerge"]
    x = np.zeros((3, 28, 28), np.uint8)

    def predict(xb):  # the letter columns win, but a submission is about digits only
        p = np.full((len(xb), len(classes)), 0.01, np.float32)
        p[:, classes.index("Z")] = 0.9
        p[:, [classes.index("7"), classes.index("3"), classes.index("5")]] = [0.05, 0.03, 0.02]
        return p

    assert kaggle_submission.predict_digits(predict, classes, x).tolist() == [7, 7, 7]
    with pytest.raises(BadModel, match="digits 0, 1, 2"):
        kaggle_submission.digit_columns(datasets.UPPER)


def test_submission_bytes_format():
    text = kaggle_submission.submission_bytes(np.array([3, 0, 9])).decode()
    assert text == "ImageId,Label\n1,3\n2,0\n3,9\n"


def test_submit_writes_submission_csv(tiny_bundle, kaggle_files, mnist, tmp_path, monkeypatch, capsys):
    models, name = tiny_bundle
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    out = tmp_path / "out" / "submission.csv"
    code = main(["submit", "--model", name, "--csv", str(kaggle_files / "kaggle-digit-recognizer" / "test.csv"),
                 "--out", str(out)])
    stdout, _ = capsys.readouterr()
    assert code == 0 and json.loads(stdout)["rows"] == N_TEST
    lines = out.read_text().splitlines()
    assert lines[0] == "ImageId,Label" and len(lines) == N_TEST + 1
    ids, labels = zip(*(map(int, line.split(",")) for line in lines[1:]))
    assert list(ids) == list(range(1, N_TEST + 1)) and set(labels) <= set(range(10))
    from core.model import evaluation
    from core import registry

    direct = evaluation.batched(registry.Predictor(name), mnist.test.x[:N_TEST]).argmax(axis=1)
    assert np.array_equal(labels, direct)  # row i is the model's answer for image i of test.csv
    assert np.mean(np.array(labels) == mnist.test.y[:N_TEST]) > 0.3  # a tiny model, but it reads digits
    assert sorted(p.name for p in out.parent.iterdir()) == ["submission.csv"]


def test_submit_errors_are_one_sentence(tiny_bundle, tmp_path, monkeypatch, capsys, small_lines):
    models, name = tiny_bundle
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    train_csv = tmp_path / "train.csv"
    train_csv.write_text("\n".join(small_lines))
    code = main(["submit", "--model", name, "--csv", str(train_csv), "--out", str(tmp_path / "s.csv")])
    _, err = capsys.readouterr()
    assert code == 2 and "has a 'label' column" in err and not (tmp_path / "s.csv").exists()
    code = main(["submit", "--model", name, "--csv", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "s.csv")])
    _, err = capsys.readouterr()
    assert code == 2 and "Cannot read" in err
