"""Rooms on the Class page through Streamlit's AppTest: a teacher opens a room ("Room name", "Open a room"),
the page shows its join code and link and its wall holds the room's sessions only; the teacher who opened it
starts its sessions, another teacher's browser sees the wall but not the owner's actions."""
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.classroom import rooms
from core.classroom.store import open_store
from conftest import ROOT, needs_shared

pytestmark = needs_shared
DIGITS = [str(i) for i in range(10)]


@pytest.fixture
def class_db(tmp_path, monkeypatch, tiny_bundle):
    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(tiny_bundle[0]))
    monkeypatch.delenv("HWLAB_TEACHER_PASSWORD", raising=False)  # everyone is a teacher, as at home
    return open_store()


def class_page(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page("app_pages/class.py").run()
    assert not at.exception, at.exception
    return at


def html_text(at) -> str:
    return "\n".join(e.proto.body for e in at.get("html"))


def new_session_buttons(at):
    return [b for b in at.button if b.label == "Start a new class session"]


def test_a_teacher_opens_a_room_and_owns_it(class_db):
    at = class_page()
    assert "Join code" not in html_text(at)  # no room: the default room's wall, as before rooms
    at.text_input(key="class_room_name").input("7B maths")
    at.button(key="class_open").click().run()
    assert not at.exception, at.exception
    room = at.session_state["class_room"]
    assert room.name == "7B maths" and f"Join code: {room.code}" in html_text(at)
    assert room.code in at.query_params["room"]  # kept in the link: a reconnect finds the room again
    assert any(f"?room={room.code}" in m.value for m in at.markdown)
    assert "QR code of the link to join 7B maths" in html_text(at)
    assert len(at.selectbox(key="wall_session").options) == 1  # the room's one session, not the default room's
    new_session_buttons(at)[0].click().run()  # the owner starts the room's next session
    assert len(class_db.sessions(room.id)) == 2 and len(class_db.sessions()) == 1  # the default room: untouched

    other = class_page(room=room.code)  # another teacher's browser, on the room's wall
    assert f"Join code: {room.code}" in html_text(other)
    assert not new_session_buttons(other)
    assert any("Only the teacher who opened this room" in i.value for i in other.info)
    assert rooms.owns(room, at.session_state["class_teacher_identity"])


def test_a_wrong_code_in_the_link_is_a_sentence_and_the_default_wall(class_db):
    at = class_page(room="ZZZZZZ")
    assert any("No class has the join code ZZZZZZ" in w.value for w in at.warning)
    assert "Join code" not in html_text(at) and new_session_buttons(at) and "room" not in at.query_params
    closed = rooms.open_room(class_db, "7C", "someone", now=1.0)  # opened long ago, no drawing since: closed
    at = class_page(room=closed.code)
    assert any("is closed" in w.value for w in at.warning)


def test_only_the_rooms_teacher_teaches_the_model_its_handwriting(class_db):
    room = rooms.open_room(class_db, "7B maths", "session:someone-else")
    for student in ("ann", "ben"):  # enough for the dataset: only the owner check keeps the button off
        class_db.add(student, "1", np.zeros((28, 28), np.uint8), "mnist", "m", DIGITS, np.eye(10)[1], room_id=room.id)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["room"] = room.code
    at.switch_page("app_pages/train.py").run()
    assert not at.exception, at.exception
    assert "2 drawings by 2 student(s)" in "".join(c.value for c in at.caption)
    assert at.button(key="class_teach_start").disabled
    assert any("Only the teacher who opened this room trains on its drawings" in c.value for c in at.caption)
    assert any("7B maths's drawings" in c.value for c in at.caption)  # the room's drawings, not the default room's


def test_the_rooms_teacher_lets_students_share_a_nickname(class_db):
    at = class_page()
    at.text_input(key="class_room_name").input("7B maths")
    at.button(key="class_open").click().run()
    room = at.session_state["class_room"]
    switch = at.toggle(key=f"wall_teacher_shared_{room.id}")
    assert not switch.value and not rooms.shared_names(class_db, room.id)
    switch.set_value(True).run()
    assert rooms.shared_names(class_db, room.id) and not rooms.shared_names(class_db, None)
