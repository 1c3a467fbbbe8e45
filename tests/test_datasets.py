"""Every dataset on the shared data: MNIST's known facts, EMNIST upright and correctly labelled (class
tables, the letters offset), partial and derived splits, file status and the CLI listing, and the
Datasets page (AppTest), including a Kaggle upload and a submission.csv download."""
import json

import numpy as np
import pytest

from conftest import ROOT, SHARED_DATA, needs_shared
from core import datasets
from core.datasets import idx
from core.datasets import emnist as emnist_source
from core.cli import main
from core.errors import DatasetMissing

MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist():
    return datasets.load("mnist", download=False)


@pytest.fixture(scope="module")
def emnist():
    """Each EMNIST dataset loaded once for the whole module (byclass and bymerge are 116k images each)."""
    cache = {}

    def get(split):
        if split not in cache:
            cache[split] = datasets.load(f"emnist-{split}", download=False)
        return cache[split]

    yield get
    cache.clear()


# ---------------------------------------------------------------- MNIST
@needs_shared
def test_mnist_counts_and_known_labels(mnist):
    assert (len(mnist.train), len(mnist.test)) == (60000, 10000)
    assert mnist.train.x.shape == (60000, 28, 28) and mnist.train.x.dtype == np.uint8
    assert np.bincount(mnist.test.y).tolist() == MNIST_TEST_COUNTS
    assert mnist.train.y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.classes == [str(i) for i in range(10)] and mnist.style == "mnist"
    assert "official" in mnist.provenance


@needs_shared
def test_counts_hold_out_the_training_pipelines_validation_share(mnist):
    from core.training.settings import Settings

    assert datasets.VALIDATION_FRACTION == Settings().validation_fraction
    assert datasets.counts(mnist) == {"train": 54000, "validation": 6000, "test": 10000}
    assert datasets.validation_count(10) == 0 and datasets.validation_count(25) == 2


# ---------------------------------------------------------------- EMNIST
@needs_shared
def test_emnist_images_come_out_upright(mnist, emnist):
    """EMNIST's own digits match MNIST's class means far better as loaded than transposed."""
    e = emnist("mnist")
    x = np.concatenate([e.train.x, e.test.x]).astype(np.float32)
    y = np.concatenate([e.train.y, e.test.y])
    means = np.stack([mnist.train.x[mnist.train.y == c].mean(0) for c in range(10)])

    def corr(a, b):
        a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    def nearest_mean_accuracy(imgs):
        f, m = imgs.reshape(len(imgs), -1), means.reshape(10, -1)
        d = (f ** 2).sum(1)[:, None] - 2 * f @ m.T + (m ** 2).sum(1)[None]
        return float((d.argmin(1) == y).mean())

    upright = np.mean([corr(x[y == c].mean(0), means[c]) for c in range(10)])
    transposed = np.mean([corr(x[y == c].mean(0).T, means[c]) for c in range(10)])
    assert upright > 0.75 and upright - transposed > 0.25, (upright, transposed)
    assert nearest_mean_accuracy(x) > 2 * nearest_mean_accuracy(x.transpose(0, 2, 1))


BYCLASS = [str(i) for i in range(10)] + [chr(c) for c in range(65, 91)] + [chr(c) for c in range(97, 123)]
MERGED = BYCLASS[:36] + list("abdefghnqrt")


@needs_shared
@pytest.mark.parametrize("split,classes", [("byclass", BYCLASS), ("bymerge", MERGED), ("balanced", MERGED),
                                           ("digits", BYCLASS[:10]), ("mnist", BYCLASS[:10]),
                                           ("letters", BYCLASS[10:36])])
def test_class_tables(emnist, split, classes):
    ds = emnist(split)
    assert ds.classes == classes == datasets.EMNIST_CLASSES[split]
    assert ds.style == "emnist"
    for part in (ds.train, ds.test):
        assert part.x.shape[1:] == (28, 28) and part.x.dtype == np.uint8
        assert set(np.unique(part.y)) == set(range(len(classes)))  # every class present, none beyond


@needs_shared
@pytest.mark.parametrize("split", ["byclass", "bymerge", "mnist"])
def test_the_mapping_files_agree_with_the_tables(split):
    text = (SHARED_DATA / "emnist" / f"emnist-{split}-mapping.txt").read_text()
    rows = sorted((int(a), chr(int(b))) for a, b, *_ in (line.split() for line in text.splitlines() if line.strip()))
    assert [c for _, c in rows] == datasets.EMNIST_CLASSES[split]


@needs_shared
def test_partial_splits_are_re_split_with_a_seed(emnist):
    ds = emnist("byclass")
    assert len(ds.train) + len(ds.test) == 116323
    assert len(ds.test) == pytest.approx(0.2 * 116323, abs=62)
    assert "re-split" in ds.provenance and "seed 0" in ds.provenance and ds.notes
    tr, te = datasets.stratified_split(np.repeat(np.arange(3), 50), 0.2, 0)
    tr2, te2 = datasets.stratified_split(np.repeat(np.arange(3), 50), 0.2, 0)
    assert np.array_equal(te, te2) and not set(tr) & set(te) and len(te) == 30


@needs_shared
def test_letters_and_digits_are_derived_from_byclass(emnist):
    byclass, letters, digits = emnist("byclass"), emnist("letters"), emnist("digits")
    bc = np.bincount(np.concatenate([byclass.train.y, byclass.test.y]), minlength=62)
    lc = np.bincount(np.concatenate([letters.train.y, letters.test.y]), minlength=26)
    dc = np.bincount(np.concatenate([digits.train.y, digits.test.y]), minlength=10)
    assert lc.tolist() == (bc[10:36] + bc[36:62]).tolist()  # A and a are one class, as in EMNIST letters
    assert dc.tolist() == bc[:10].tolist()
    assert "derived from the byclass" in letters.notes[0] and "byclass" in letters.provenance


def _write_letters(folder, labels, parts=("train", "test")):
    """A tiny EMNIST letters split in the official format: labels 1..26, images stored transposed."""
    rng = np.random.default_rng(1)
    e = folder / "emnist"
    e.mkdir(parents=True, exist_ok=True)
    upright = rng.integers(0, 256, (len(labels), 28, 28), dtype=np.uint8)
    for part in parts:
        (e / f"emnist-letters-{part}-images-idx3-ubyte.gz").write_bytes(idx.write_idx(upright.transpose(0, 2, 1)))
        (e / f"emnist-letters-{part}-labels-idx1-ubyte.gz").write_bytes(idx.write_idx(np.asarray(labels)))
    (e / "emnist-letters-mapping.txt").write_text("".join(f"{i} {64 + i} {96 + i}\n" for i in range(1, 27)))
    return upright


def test_letters_labels_1_to_26_become_0_to_25(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    labels = np.tile(np.arange(1, 27), 2)
    upright = _write_letters(tmp_path, labels)
    ds = datasets.load("emnist-letters", download=False)
    assert ds.classes == [chr(c) for c in range(65, 91)] and len(ds.classes) == 26
    assert ds.train.y.tolist() == (labels - 1).tolist() and ds.train.y.min() == 0 and ds.train.y.max() == 25
    assert np.array_equal(ds.train.x, upright) and np.array_equal(ds.test.x, upright)  # transposed back
    assert ds.provenance.startswith("official EMNIST letters split")
    assert datasets.file_status("emnist-letters")["state"] == "complete"


def test_letters_test_files_alone_are_re_split(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    _write_letters(tmp_path, np.tile(np.arange(1, 27), 10), parts=("test",))
    ds = datasets.load("emnist-letters", download=False)
    assert len(ds.train) + len(ds.test) == 260 and len(ds.test) == 52 and "re-split" in ds.provenance
    assert datasets.file_status("emnist-letters")["state"] == "partial"


def test_a_letters_file_with_label_0_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    _write_letters(tmp_path, np.arange(0, 26))
    with pytest.raises(DatasetMissing, match="1..26"):
        datasets.load("emnist-letters", download=False)


def test_missing_emnist_says_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetMissing) as err:
        datasets.load("emnist-balanced", download=False)
    msg = str(err.value)
    assert "emnist-balanced-test-images-idx3-ubyte.gz" in msg and str(tmp_path / "emnist") in msg
    assert emnist_source.URL in msg and "bymerge" in msg


# ---------------------------------------------------------------- scikit-learn digits and samples
def test_sklearn_digits_are_always_there():
    ds = datasets.load("sklearn-digits", download=False)
    assert len(ds.train) + len(ds.test) == 1797 and ds.classes == [str(i) for i in range(10)]
    assert ds.train.x.shape[1:] == (28, 28) and ds.train.x.dtype == np.uint8 and ds.train.x.max() > 200
    assert datasets.file_status("sklearn-digits")["state"] == "bundled"


def test_sample_indices_pick_from_each_class():
    y = np.array([0, 1, 1, 2, 2, 2, 0, 1, 2, 2])
    picks = datasets.sample_indices(y, 4, 2, seed=3)
    assert [len(p) for p in picks] == [2, 2, 2, 0]
    assert all((y[p] == c).all() for c, p in enumerate(picks))
    again = datasets.sample_indices(y, 4, 2, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(picks, again))


# ---------------------------------------------------------------- file status and the CLI
@needs_shared
def test_file_status_on_the_shared_data(capsys):
    assert main(["datasets"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert list(rows) == list(datasets.DATASETS)
    expected = {"mnist": "complete", "emnist-byclass": "partial", "emnist-bymerge": "partial",
                "emnist-mnist": "partial", "emnist-balanced": "derived", "emnist-letters": "derived",
                "emnist-digits": "derived", "sklearn-digits": "bundled"}
    for name, state in expected.items():
        assert rows[name]["state"] == state and rows[name]["usable"], name
    by = rows["emnist-byclass"]
    assert by["present"] == ["emnist/emnist-byclass-test-images-idx3-ubyte.gz",
                             "emnist/emnist-byclass-test-labels-idx1-ubyte.gz"]
    assert len(by["missing"]) == 2 and by["source"] == emnist_source.URL and by["download"] == "automatic"
    assert rows["kaggle-digit-recognizer"]["download"] == "manual"
    assert rows["kaggle-digit-recognizer"]["source"].startswith("https://www.kaggle.com/")


def test_datasets_download_of_kaggle_is_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    assert main(["datasets", "--download", "kaggle-digit-recognizer"]) == 2
    assert "Kaggle needs a login" in capsys.readouterr().err
    assert main(["datasets", "--download", "nope"]) == 2
    assert "Unknown dataset" in capsys.readouterr().err


# ---------------------------------------------------------------- the Datasets page
def _page(timeout=120):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    at.switch_page("app_pages/datasets.py")
    at.run()
    return at


def _metrics(at):
    return {m.label: m.value for m in at.metric}


@needs_shared
def test_datasets_page_shows_counts_distribution_and_samples(monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    at = _page()
    assert not at.exception
    assert at.title[0].value.endswith("Datasets")
    assert _metrics(at) == {"Train": "54,000", "Validation": "6,000", "Test": "10,000", "Classes": "10"}
    assert len(at.get("plotly_chart")) == 1 and len(at.get("image")) == 1
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in chart["data"]] == ["train", "test"]
    assert chart["data"][0]["x"] == [str(i) for i in range(10)]
    assert chart["data"][1]["y"] == MNIST_TEST_COUNTS

    new_set = next(b for b in at.button if "new set" in b.label)
    new_set.click().run()
    assert not at.exception and at.session_state["datasets_seed"] == 1

    at.selectbox(key="datasets-name").set_value("emnist-byclass").run()
    assert not at.exception and _metrics(at)["Classes"] == "62"
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["data"][0]["x"] == BYCLASS
    assert any("re-split" in m.value for m in at.markdown)


def _csv(x, y=None):
    from core.datasets import kaggle

    flat = x.reshape(len(x), -1).astype(np.int64)
    if y is not None:
        flat = np.column_stack([y, flat])
    head = ("label," if y is not None else "") + ",".join(kaggle.PIXELS)
    return (head + "\n" + "\n".join(",".join(map(str, r)) for r in flat.tolist()) + "\n").encode()


@needs_shared
def test_datasets_page_takes_kaggle_uploads_and_gives_a_submission(mnist, tiny_bundle, tmp_path, monkeypatch):
    models, name = tiny_bundle
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    at = _page()
    # MNIST is not in the empty data folder: said calmly (nothing was tried yet: no red box), not a traceback
    assert not at.exception and not at.error and str(tmp_path / "mnist") in at.info[0].value
    assert any("Download" in b.label for b in at.button)

    at.selectbox(key="datasets-name").set_value("kaggle-digit-recognizer").run()
    assert not at.exception and not at.error and "Kaggle needs a login" in at.warning[0].value
    bad = b"label,pixel0\n1,2\n"
    at.get("file_uploader")[0].upload("train.csv", bad, "text/csv").run()
    assert not at.exception and any("'pixel1' is missing" in e.value for e in at.error)
    assert not (tmp_path / "kaggle-digit-recognizer" / "train.csv").exists()

    at.get("file_uploader")[0].upload("train.csv", _csv(mnist.train.x[:500], mnist.train.y[:500]), "text/csv")
    at.get("file_uploader")[1].upload("test.csv", _csv(mnist.test.x[:200]), "text/csv")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tr, te = datasets.stratified_split(mnist.train.y[:500], datasets.RESPLIT_TEST_FRACTION, datasets.RESPLIT_SEED)
    assert _metrics(at) == {"Train": str(len(tr) - 40), "Validation": "40", "Test": str(len(te)), "Classes": "10"}
    assert any("200 images" in s.value for s in at.success)

    predict = next(b for b in at.button if "Predict" in b.label)
    predict.click().run()
    assert not at.exception
    model, data, rows = at.session_state["kaggle-submission"]
    lines = data.decode().splitlines()
    assert model == name and rows == 200 and lines[0] == "ImageId,Label" and lines[1].startswith("1,")
    assert len(at.get("download_button")) == 1


# ---------------------------------------------------------------- sibling images (byclass <-> bymerge)
def test_relabelling_between_the_layouts():
    byclass, bymerge = datasets.EMNIST_CLASSES["byclass"], datasets.EMNIST_CLASSES["bymerge"]
    assert bymerge[emnist_source._relabel("c", byclass, bymerge)] == "C"  # merged into upper case
    assert bymerge[emnist_source._relabel("a", byclass, bymerge)] == "a"  # kept apart in bymerge
    assert byclass[emnist_source._relabel("7", bymerge, byclass)] == "7"
    assert byclass[emnist_source._relabel("a", bymerge, byclass)] == "a"
    assert byclass[emnist_source._relabel("A", bymerge, byclass)] == "A"  # bymerge keeps A and a apart: exact
    assert emnist_source._relabel("C", bymerge, byclass) is None  # bymerge's C is C or c: ambiguous in byclass


@needs_shared
@pytest.mark.parametrize("split", ["bymerge", "byclass"])
def test_sibling_images_never_hold_a_held_out_image(emnist, split):
    ds = emnist(split)
    extra, note = datasets.emnist_sibling_images(ds)
    assert len(extra) > 50_000 and f"relabelled into the {split} classes" in note
    held_out = {x.tobytes() for x in ds.test.x}
    training = {x.tobytes() for x in ds.train.x}
    assert not any(x.tobytes() in held_out or x.tobytes() in training for x in extra.x)
    assert 0 <= extra.y.min() and extra.y.max() < len(ds.classes)
    counts = np.bincount(extra.y, minlength=len(ds.classes))
    if split == "byclass":  # bymerge cannot tell C from c: neither gets an image from it
        assert counts[ds.classes.index("C")] == counts[ds.classes.index("c")] == 0
        assert counts[ds.classes.index("a")] > 0
    else:
        assert (counts > 0).all()


def test_only_byclass_and_bymerge_have_a_sibling():
    ds = datasets.load("sklearn-digits")
    assert datasets.emnist_sibling_images(ds) == (None, "no EMNIST sibling test file for sklearn-digits")


def test_on_disk_says_what_can_be_read_without_a_download(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path))
    assert datasets.on_disk("sklearn-digits") and not datasets.on_disk("no-such-set")
    assert not datasets.on_disk("mnist") and not datasets.on_disk("emnist-letters")
    if SHARED_DATA.is_dir():
        monkeypatch.setenv("HWLAB_DATA_DIR", str(SHARED_DATA))
        assert datasets.on_disk("mnist") and datasets.on_disk("emnist-letters")  # derived from byclass
        assert not datasets.on_disk("kaggle-digit-recognizer")
