"""The Class page and the teacher lock through Streamlit's AppTest: with a teacher password a student finds a
sentence instead of the Train button, a wrong password unlocks nothing (and tries are limited per address, for every session), the right
one brings the button back; the wall shows the class's drawings with their nicknames as text, filters them,
explains one with the Draw page's view, and lets the teacher delete."""
import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.classroom import pictures, teacher
from core.classroom.store import open_store
from conftest import ROOT, needs_shared

pytestmark = needs_shared
DIGITS = [str(i) for i in range(10)]


@pytest.fixture
def class_db(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    monkeypatch.setenv("HWLAB_JOBS_DIR", str(tmp_path / "jobs"))
    return open_store()


@pytest.fixture
def tiny_models(tiny_bundle, monkeypatch):
    models, name = tiny_bundle
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    from ui.state import bundles

    bundles.clear()
    yield name
    bundles.clear()


@pytest.fixture(autouse=True)
def fresh_password_tries(monkeypatch):
    """Every AppTest session comes from 127.0.0.1: each test starts with the server's count of tries at zero."""
    monkeypatch.setattr(teacher, "TRIES", teacher.PasswordTries())


def page(path: str, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def password(at, text: str) -> None:
    """Types into the sidebar's field and presses Enter."""
    at.sidebar.text_input(key="teacher_password_field").input(text)
    at.run()


def train_button(at):
    return [b for b in at.button if b.label == "Train"]


def all_text(at) -> str:
    return "\n".join(e.value for kind in (at.info, at.error, at.caption, at.markdown, at.text, at.subheader)
                     for e in kind)


def test_students_see_a_sentence_and_the_password_brings_the_train_button(class_db, tiny_models, monkeypatch):
    monkeypatch.setenv("HWLAB_TEACHER_PASSWORD", "tulip-42")
    at = page("app_pages/train.py")
    assert not train_button(at)
    assert any("The teacher starts and cancels training" in i.value for i in at.info)
    field = at.sidebar.text_input(key="teacher_password_field")
    assert field.label == "Teacher password"
    password(at, "tulip-4")
    assert not train_button(at)
    assert any("not the teacher password" in e.value for e in at.sidebar.error)
    password(at, "tulip-42")
    assert not at.exception and train_button(at)
    assert at.session_state["teacher_password_field"] == ""  # the password does not stay in the page's state
    assert "tulip-42" not in all_text(at)


def test_password_tries_are_limited_for_every_session_of_one_address(class_db, tiny_models, monkeypatch):
    """The count is the server's, per client address: a second session (a reload, a new tab) gets no new tries."""
    monkeypatch.setenv("HWLAB_TEACHER_PASSWORD", "tulip-42")
    first, second = page("app_pages/train.py"), page("app_pages/train.py")
    for i in range(3):
        password(first, f"guess-{i}")
    for i in range(2):
        password(second, f"again-{i}")  # the 5th wrong try from this address locks it for a while
    assert any("Too many wrong tries: try again in" in e.value for e in second.sidebar.error)
    assert second.sidebar.text_input(key="teacher_password_field").disabled
    fresh = page("app_pages/train.py")  # a reload: locked out all the same (the server refuses a try sent anyway:
    assert not train_button(fresh)   # tests/test_teacher.py)
    assert fresh.sidebar.text_input(key="teacher_password_field").disabled
    assert any("try again in" in e.value for e in fresh.sidebar.error)


def test_without_a_password_everything_is_open(class_db, tiny_models, monkeypatch):
    monkeypatch.delenv("HWLAB_TEACHER_PASSWORD", raising=False)
    at = page("app_pages/train.py")
    assert train_button(at)
    assert not [t for t in at.sidebar.text_input if t.label == "Teacher password"]


def shown(at) -> dict:
    """What the wall's one element hands the browser: counters, note, cards."""
    grids = [e for e in at.get("bidi_component") if e.proto.component_name == "hwlab_wall_grid"]
    assert len(grids) == 1
    return json.loads(grids[0].proto.json)


def cards(at) -> list[dict]:
    return shown(at)["cards"]


def _send(store, student, label, read, sure, model):
    p = np.full(10, (1 - sure) / 9)
    p[read] = sure
    x = np.zeros((28, 28), np.uint8)
    x[6:22, 12:16] = 255
    return store.add(student, label, x, "mnist", model, DIGITS, p)


def test_the_wall_shows_filters_explains_and_the_teacher_deletes(class_db, tiny_models, monkeypatch):
    monkeypatch.delenv("HWLAB_TEACHER_PASSWORD", raising=False)
    _send(class_db, "**Ann**<script>", "1", 1, 0.95, tiny_models)
    fooled = _send(class_db, "ben", "7", 1, 0.9, tiny_models)  # meant 7, read 1 at 90%: a successful fool
    at = page("app_pages/class.py")
    # The grid is one element; its JavaScript puts each nickname in the page with textContent (text, never
    # Markdown or HTML: tests/e2e/test_e2e_class.py reads it in Chromium).
    assert [c["student"] for c in cards(at)] == ["ben", "**Ann**<script>"]  # newest first
    stored = {d.id: d.input28 for d in class_db.drawings()}
    for c in cards(at):  # each card's picture is that drawing's 28x28 input, pixel for pixel
        assert c["image"].startswith("data:image/png;base64,")
        png = base64.b64decode(c["image"].split(",", 1)[1])
        assert np.array_equal(pictures.read_input_png(png), stored[c["id"]].reshape(28, 28))
    metrics = dict(shown(at)["counters"])
    assert metrics["Drawings"] == "2" and metrics["Model's accuracy on them"] == "50.0%"
    assert metrics["Successful fools"] == "1"
    at.toggle(key="wall_misread").set_value(True).run()
    assert [(c["student"], c["correct"], c["fool"]) for c in cards(at)] == [("ben", False, False)]
    at.toggle(key="wall_fools").set_value(True).run()
    assert [(c["student"], c["fool"], c["label"], c["prediction"]) for c in cards(at)] == [("ben", True, "7", "1")]
    at.session_state["wall_selected"] = fooled  # what a click on the card does (in the browser: test_e2e_class)
    at.run()
    assert not at.exception
    assert any(f"Drawing {fooled}: meant 7, read 1" in s.value for s in at.subheader)
    assert any("SHAP" in m.value for m in at.markdown)  # the Draw page's explanation view
    at.selectbox(key="wall_teacher_who").set_value("ben").run()
    at.button(key="wall_teacher_delete_student").click().run()
    assert class_db.count() == 2 and any("Delete all 1 of ben's drawings" in w.value for w in at.warning)
    at.button(key="wall_teacher_yes").click().run()
    assert any("1 drawing of ben deleted" in t.value for t in at.toast)
    assert class_db.count() == 1 and [d.student for d in class_db.drawings()] == ["**Ann**<script>"]


def test_the_wall_is_read_only_for_students_and_new_sessions_archive(class_db, tiny_models, monkeypatch):
    _send(class_db, "ann", "1", 1, 0.95, tiny_models)
    monkeypatch.setenv("HWLAB_TEACHER_PASSWORD", "tulip-42")
    at = page("app_pages/class.py")
    assert any("The teacher manages the class session" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Start a new class session"]
    password(at, "tulip-42")
    at.button(key="wall_teacher_new").click().run()
    assert not at.exception
    assert class_db.count() == 0 and len(class_db.sessions()) == 2  # the old session is archived, still there
    assert dict(shown(at)["counters"])["Drawings"] == "0"


def test_an_unreachable_database_is_a_sentence_and_drawing_still_works(tiny_models, monkeypatch):
    monkeypatch.setenv("HWLAB_DB_URL", "postgresql+psycopg://u:pw@127.0.0.1:1/class")
    at = page("app_pages/class.py")
    assert any("cannot be used right now" in e.value for e in at.error)
    at.switch_page("app_pages/draw.py").run()
    assert not at.exception and at.text_input(key="class_nickname_field").label == "Your name"


def picker_labels(at) -> list[str]:
    """The session picker's lines, as the browser shows them."""
    return list(at.selectbox(key="wall_session").proto.options)


def test_the_session_picker_counts_what_is_there_now(class_db, tiny_models, monkeypatch):
    monkeypatch.delenv("HWLAB_TEACHER_PASSWORD", raising=False)
    at = page("app_pages/class.py")
    assert "0 drawings (now)" in picker_labels(at)[0]
    for i in range(3):
        _send(class_db, f"kid{i}", "1", 1, 0.95, tiny_models)
    at.run()
    assert "3 drawings (now)" in picker_labels(at)[0] and dict(shown(at)["counters"])["Drawings"] == "3"
    at.button(key="wall_teacher_new").click().run()
    assert not at.exception
    first, second = picker_labels(at)[1], picker_labels(at)[0]
    assert "3 drawings (archived)" in first and "0 drawings (now)" in second, (first, second)
    assert any("Session 2 started; Session 1 archived with 3 drawings" in t.value for t in at.toast)


def test_the_wall_keeps_its_filters_and_session_across_pages(class_db, tiny_models, monkeypatch):
    monkeypatch.delenv("HWLAB_TEACHER_PASSWORD", raising=False)
    _send(class_db, "ann", "1", 1, 0.95, tiny_models)
    _send(class_db, "cat", "2", 5, 0.4, tiny_models)  # unsure
    old = class_db.current_session()["id"]
    class_db.new_session()
    _send(class_db, "ben", "7", 1, 0.9, tiny_models)
    at = page("app_pages/class.py")
    at.selectbox(key="wall_session").set_value(old).run()
    at.toggle(key="wall_low").set_value(True).run()
    at.toggle(key="wall_fools").set_value(True).run()
    at.radio(key="wall_order").set_value("mistakes").run()
    at.switch_page("app_pages/draw.py").run()
    assert not at.exception
    at.switch_page("app_pages/class.py").run()
    assert not at.exception
    assert at.selectbox(key="wall_session").value == old
    assert at.toggle(key="wall_low").value and at.toggle(key="wall_fools").value
    assert not at.toggle(key="wall_misread").value
    assert at.radio(key="wall_order").value == "mistakes"
    assert [c["student"] for c in cards(at)] == ["cat"]  # the old session, its unsure drawing only


def test_deleting_a_drawing_asks_first_and_says_what_went(class_db, tiny_models, monkeypatch):
    monkeypatch.delenv("HWLAB_TEACHER_PASSWORD", raising=False)
    keep = _send(class_db, "ann", "1", 1, 0.95, tiny_models)
    gone = _send(class_db, "ben", "7", 1, 0.9, tiny_models)
    at = page("app_pages/class.py")
    at.selectbox(key="wall_teacher_one").set_value(gone).run()
    at.button(key="wall_teacher_delete").click().run()
    assert not at.exception and class_db.count() == 2  # nothing gone yet: a question first
    confirm = [b for b in at.button if b.label == "Yes, delete it"]
    assert confirm, [b.label for b in at.button]
    confirm[0].click().run()
    assert not at.exception
    assert [d.id for d in class_db.drawings()] == [keep]
    assert any(f"Drawing #{gone}" in t.value and "ben" in t.value and "deleted" in t.value for t in at.toast)


def test_a_misread_is_explained_for_the_class_meant_too(class_db, tiny_models, monkeypatch):
    """The card's explanation: SHAP for the model's top 3 and, after them, for the class the student meant."""
    monkeypatch.delenv("HWLAB_TEACHER_PASSWORD", raising=False)
    from ui.state import predictor

    x = np.zeros((28, 28), np.uint8)
    x[6:22, 12:16] = 255  # a "1"
    probs = predictor(tiny_models)(x[None, ..., None] / 255.0)[0]
    meant = str(int(np.argsort(-probs)[-1]))  # the class the model finds least likely: never in its top 3
    d = _send(class_db, "ann", meant, 1, 0.9, tiny_models)
    at = page("app_pages/class.py", wall_selected=d)
    captions = [c for e in at.get("image") for c in e.captions]
    shap = [c for c in captions if c.startswith("SHAP for ")]
    assert len(shap) == 4, captions
    assert shap[3].startswith(f"SHAP for {meant} ") and "the true class, not in the top 3" in shap[3]
    assert "not among the top" not in all_text(at)
