"""The class's core pieces without a browser: the teacher password, the send limit, the wall's
figures, the class-drawings dataset (whole students held out; mixed with the model's own data for fine-tuning),
and the `python -m core class ...` commands (add, list, export without names, clear, import)."""
import json
import zipfile

import numpy as np
import pytest

from core import datasets
from core.datasets import class_drawings
from core.classroom import teacher, wall
from core.classroom.limits import RateLimit
from core.classroom.store import Drawing, open_store
from core.cli import main
from conftest import needs_shared
from helpers import pen_digits, png_bytes

DIGITS = [str(i) for i in range(10)]


@pytest.fixture
def class_db(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    return open_store()


def test_the_teacher_password_from_the_environment_first(monkeypatch):
    monkeypatch.delenv("HWLAB_TEACHER_PASSWORD", raising=False)
    assert teacher.configured() is None and teacher.configured("from-secrets") == "from-secrets"
    monkeypatch.setenv("HWLAB_TEACHER_PASSWORD", "env-pw")
    assert teacher.configured("from-secrets") == "env-pw"
    assert teacher.matches("env-pw", "env-pw") and not teacher.matches("env-p", "env-pw")


def test_twenty_sends_a_minute():
    limit = RateLimit(20, 60)
    assert all(limit.allow(now=i * 0.1) for i in range(20))
    assert not limit.allow(now=5) and limit.allow(now=60.01)


def _d(i, student, label, pred, conf):
    return Drawing(i, 1, student, float(i), label, np.zeros((28, 28), np.uint8), "mnist", "m", pred, conf, DIGITS, [])


def test_the_wall_figures():
    rows = [_d(1, "ann", "1", "1", 0.99), _d(2, "ann", "7", "1", 0.9), _d(3, "ben", "7", "7", 0.55),
            _d(4, "ben", "4", "9", 0.4)]
    c = wall.counters(rows)
    assert (c["drawings"], c["students"], c["accuracy"], c["fools"]) == (4, 2, 0.5, 1)  # 4 -> 9 at 40% is no fool
    assert [d.id for d in wall.filtered(rows, misread=True)] == [2, 4]
    assert [d.id for d in wall.filtered(rows, low_confidence=True)] == [3, 4]
    assert [d.id for d in wall.filtered(rows, label="7", student="ben")] == [3]
    assert [d.id for d in wall.ordered(rows)] == [4, 3, 2, 1]
    assert [d.id for d in wall.ordered(rows, "mistakes")][:2] == [2, 4]  # the surest mistake first
    labels, m = wall.confusion(rows)
    assert labels == ["1", "4", "7", "9"] and m[labels.index("7"), labels.index("1")] == 1 and m.sum() == 4


def test_the_live_wall_reads_only_what_is_new_and_sees_deletions_and_rereads(class_db, monkeypatch):
    def add(label, read, p):
        probs = np.full(10, (1 - p) / 9)
        probs[int(read)] = p
        return class_db.add("ann", label, np.zeros((28, 28), np.uint8), "mnist", "m", DIGITS, probs)

    sid = class_db.current_session()["id"]
    first = [add("1", "1", 0.9), add("7", "1", 0.8)]
    reads = []
    real = class_db.drawings
    monkeypatch.setattr(class_db, "drawings", lambda **kw: reads.append(kw) or real(**kw))
    assert [d.id for d in wall.live_rows(class_db, sid)] == first
    assert [d.id for d in wall.live_rows(class_db, sid)] == first and len(reads) == 1  # nothing new: no read
    third = add("3", "3", 0.7)
    assert [d.id for d in wall.live_rows(class_db, sid)] == first + [third]
    assert reads[-1].get("after_id") == first[-1]  # only the new drawing was read
    class_db.delete(first[0])
    assert [d.id for d in wall.live_rows(class_db, sid)] == [first[1], third]
    probs = np.full(10, 0.01)
    probs[7] = 0.91
    class_db.reread([(first[1], "m2", DIGITS, probs)])  # the wall re-read with another model
    again = {d.id: d for d in wall.live_rows(class_db, sid)}
    assert again[first[1]].prediction == "7" and again[first[1]].model == "m2"
    assert store_signature_matches(class_db, sid)


def store_signature_matches(store, sid) -> bool:
    return wall.signature_of(store.drawings(session_id=sid))[:2] == store.signature(sid)[:2]


def test_held_out_students_are_whole_and_stable():
    students = {f"s{i}" for i in range(10)}
    held = class_drawings.held_out_students(students)
    assert len(held) == 2 and held == class_drawings.held_out_students(students | {"new1", "new2"}) & held
    assert class_drawings.held_out_students({"alone"}) == set()


def _fill(store, students=4, per=6):
    x = np.zeros((28, 28), np.uint8)
    for s in range(students):
        for k in range(per):
            x[4:24, 10 + k:14 + k] = 255
            p = np.eye(10)[k % 10] * 0.9 + 0.01
            store.add(f"kid{s}", str(k % 10), x.copy(), "mnist", "m", DIGITS, p)


def test_class_drawings_dataset_holds_out_whole_students(class_db):
    with pytest.raises(datasets.DatasetMissing, match="at least 2 students"):
        datasets.load("class-drawings")
    assert not datasets.file_status("class-drawings")["usable"]
    _fill(class_db, students=6)
    ds = datasets.load("class-drawings")
    assert ds.classes == DIGITS and len(ds.train) + len(ds.test) == 36
    held = class_drawings.held_out_students({f"kid{s}" for s in range(6)})
    assert len(ds.test) == 6 * len(held)  # every drawing of the held-out students, none of the others
    status = datasets.file_status("class-drawings")
    assert status["usable"] and "36 drawings by 6 student(s)" in status["how"]


@needs_shared
def test_offline_fine_tuning_mixes_in_the_shipped_mnist_sample_and_says_when_nothing_can_be(
        class_db, tiny_bundle, monkeypatch, tmp_path):
    from core.datasets import shipped_sample as base_sample

    models, name = tiny_bundle  # learned from MNIST
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    _fill(class_db, students=5)
    ds = datasets.load("class-drawings")
    monkeypatch.setenv("HWLAB_DATA_DIR", str(tmp_path / "fresh-install"))  # MNIST was never downloaded
    assert not datasets.on_disk("mnist") and base_sample.FILE.stat().st_size < 3e6  # a few MB at most
    mixed = datasets.spec("class-drawings").for_fine_tuning(ds, name)
    assert len(mixed.train) == class_drawings.CLASS_REPEAT * len(ds.train) + class_drawings.BASE_MIN
    assert any("shipped with the app" in n and "MNIST" in n for n in mixed.notes), mixed.notes
    assert class_drawings.missing_base_sentence(name) is None
    train, test = base_sample.load("mnist")
    assert len(train) == 6000 and len(test) == 2000 and np.bincount(train.y).tolist() == [600] * 10
    # a model whose own data is neither here nor shipped: said before the run, and in the card's notes
    monkeypatch.setattr(base_sample, "FILE", tmp_path / "no-sample.npz")
    said = class_drawings.missing_base_sentence(name)
    assert said and "is not on this machine" in said and "Datasets page" in said
    alone = datasets.spec("class-drawings").for_fine_tuning(ds, name)
    assert len(alone.train) == class_drawings.CLASS_REPEAT * len(ds.train)
    assert any(n.startswith("Trained on the class's drawings alone") for n in alone.notes)


@needs_shared
def test_fine_tuning_data_mixes_in_the_models_own(class_db, tiny_bundle, monkeypatch):
    models, name = tiny_bundle
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    _fill(class_db, students=5)
    ds = datasets.load("class-drawings")
    mixed = datasets.load("class-drawings", init_from=name)  # as fine-tuning `name` on them trains
    assert len(mixed.test) == len(ds.test)  # the held-out students only
    assert len(mixed.train) == class_drawings.CLASS_REPEAT * len(ds.train) + class_drawings.BASE_MIN
    assert any("MNIST" in n for n in mixed.notes)
    plain = datasets.load("sklearn-digits")
    assert len(datasets.load("sklearn-digits", init_from=name).train) == len(plain.train)  # other data as it is


@needs_shared
def test_the_class_commands(class_db, tiny_bundle, tmp_path, monkeypatch, capsys):
    models, name = tiny_bundle
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    files = []
    for i, (label, rgba) in enumerate(pen_digits(1, "37")):
        f = tmp_path / f"{label}.png"
        f.write_bytes(png_bytes(rgba))
        files.append((label, f))
    files.sort()
    for label, f in files:
        assert main(["class", "add", "--label", label, "--student", f"  kid {label} ", str(f)]) == 0
    assert main(["class", "add", "--label", "Q", "--student", "kid", str(files[0][1])]) == 2
    assert "not one of the model's classes" in capsys.readouterr().err
    assert main(["class", "list"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["student"], r["label"]) for r in rows] == [("kid 3", "3"), ("kid 7", "7")]
    assert set(rows[0]) >= {"id", "student", "label", "prediction", "confidence", "model", "created"}
    assert rows[0]["model"] == name
    out = tmp_path / "class.zip"
    assert main(["class", "export", "--out", str(out), "--no-names"]) == 0
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        csv_text = zf.read("labels.csv").decode()
    assert "labels.csv" in names and {n.split("/")[0] for n in names} == {"labels.csv", "3", "7", "inputs"}
    assert "kid" not in csv_text and "student-01" in csv_text  # nicknames dropped
    assert main(["class", "clear"]) == 2 and class_db.count(all_sessions=True) == 2  # --yes needed
    assert main(["class", "clear", "--yes"]) == 0 and class_db.count(all_sessions=True) == 0
    assert main(["class", "import", str(out)]) == 0
    back = class_db.drawings()
    assert [(d.student, d.label) for d in back] == [("student-01", "3"), ("student-02", "7")]
    capsys.readouterr()
    assert main(["class", "import", str(out)]) == 0  # the same zip again: its drawings are there once, and said
    assert json.loads(capsys.readouterr().out) == {"imported": 0, "already_there": 2, "model": name}
    assert class_db.count(all_sessions=True) == 2
    class_db.new_session()  # and into a new session: they are in the room already, in the archived one
    assert main(["class", "import", str(out)]) == 0
    assert json.loads(capsys.readouterr().out) == {"imported": 0, "already_there": 2, "model": name}
    assert class_db.count(all_sessions=True) == 2
    assert main(["class", "import", str(tmp_path / "3.png")]) == 2
    assert "not a zip" in capsys.readouterr().err
