"""Class rooms in the store (core/classroom/rooms.py, store.py's room_id), on SQLite and on PostgreSQL when
HWLAB_TEST_POSTGRES_URL is set: two rooms never see each other's drawings, sessions or counters; a room's
limits (join codes, names, the owner, closing after a day); the migration from a database without rooms; a
send racing "New class session"; a nickname held by another browser session."""
import threading

import numpy as np
import pytest
import sqlalchemy as sa

from core.classroom import rooms, schema
from core.classroom.rooms import NameTaken, RoomError
from core.classroom.store import Store
from tests.conftest import ROOT, needs_shared
from tests.test_class_store import DIGITS, send, url  # noqa: F401 - url: the two databases' fixture

DAY = rooms.IDLE_CLOSE_S


def test_two_rooms_never_see_each_other(url):
    store = Store(url)
    a, b = rooms.open_room(store, "7B maths", "teacher-a"), rooms.open_room(store, "7C maths", "teacher-b")
    assert a.code != b.code and len(a.code) == 6 and set(a.code) <= set(rooms.ALPHABET)
    send(store, "ann", room_id=a.id)
    send(store, "ann", room_id=a.id)
    send(store, "ben", room_id=b.id)
    send(store, "cat")  # no room: the default room, as before rooms
    assert [d.student for d in store.drawings(room_id=a.id)] == ["ann", "ann"]
    assert [d.student for d in store.drawings(room_id=b.id)] == ["ben"]
    assert [d.student for d in store.drawings()] == ["cat"]
    assert store.count(room_id=a.id) == 2 and store.count(all_sessions=True, room_id=b.id) == 1
    # A new session in room A archives A's session only; B goes on in its own.
    b_session = store.current_session(b.id)["id"]
    store.new_session("Tuesday", room_id=a.id)
    assert store.current_session(b.id)["id"] == b_session and store.count(room_id=b.id) == 1
    assert store.count(room_id=a.id) == 0 and store.count(all_sessions=True, room_id=a.id) == 2
    assert {s["name"] for s in store.sessions(a.id)} == {"Session 1", "Tuesday"}
    assert [s["drawings"] for s in store.sessions(b.id)] == [1]
    assert store.clear(room_id=a.id) == 2  # clearing A leaves B and the default room alone
    assert store.count(room_id=b.id) == 1 and store.count() == 1
    assert rooms.find(store, b.code.lower()) == b  # typed in small letters: the same room


def test_a_rooms_limits(url):
    store = Store(url)
    with pytest.raises(RoomError, match="6 capital letters and digits"):
        rooms.find(store, "AB0O1I")  # look-alikes are never in a code
    with pytest.raises(RoomError, match="No class has the join code"):
        rooms.find(store, "ZZZZZZ")
    with pytest.raises(RoomError, match="name first"):
        rooms.open_room(store, "   ", "t")
    with pytest.raises(RoomError, match="Only a teacher"):
        rooms.open_room(store, "7B", "")
    assert len(rooms.open_room(store, "x" * 200, "t").name) == rooms.MAX_ROOM_NAME
    # The owner: only the teacher who opened it; the default room is every teacher's.
    t0 = 1_000_000.0
    mine = rooms.open_room(store, "7B maths", "session:abc", now=t0)
    assert rooms.owns(mine, "session:abc") and not rooms.owns(mine, "session:xyz") and not rooms.owns(mine, None)
    assert rooms.owns(rooms.default_room(store), "anyone")
    # A day without drawings closes it: its drawings stay, archived; the code is refused with a sentence.
    busy = rooms.open_room(store, "7C maths", "t", now=t0)
    send(store, "ann", room_id=mine.id, created=t0 + 100)
    send(store, "ben", room_id=busy.id, created=t0 + DAY - 10)
    assert rooms.close_idle(store, now=t0 + DAY + 200) == [mine.code]
    with pytest.raises(RoomError, match="is closed"):
        rooms.find(store, mine.code, now=t0 + DAY + 200)
    assert rooms.find(store, busy.code, now=t0 + DAY + 200).id == busy.id
    assert store.count(all_sessions=True, room_id=mine.id) == 1
    assert all(s["archived"] for s in store.sessions(mine.id))
    assert rooms.close_idle(store, now=t0 + 10 * DAY) != []  # the default room never closes
    assert not rooms.default_room(store).closed


def test_the_most_rooms_open_at_once(url, monkeypatch):
    store = Store(url)
    monkeypatch.setattr(rooms, "MAX_OPEN_ROOMS", 3)
    rooms.open_room(store, "a", "t")
    rooms.open_room(store, "b", "t")  # with the default room: 3 open
    with pytest.raises(RoomError, match="the most it keeps at once"):
        rooms.open_room(store, "c", "t")


def test_the_migration_from_a_database_without_rooms_keeps_every_drawing(url):
    engine = sa.create_engine(url)
    assert schema.migrate(engine, to=2) == 2
    with engine.begin() as conn:
        old = conn.execute(sa.select(schema.class_sessions.c.id)).scalar()
        conn.execute(sa.update(schema._V1.tables["class_sessions"]).values(archived=True))
        new = conn.execute(sa.insert(schema._V1.tables["class_sessions"]).values(
            name="Session 2", started=2.0, archived=False).returning(schema.class_sessions.c.id)).scalar()
        for i, sid in enumerate([old, old, new]):
            conn.execute(sa.insert(schema.drawings).values(
                session_id=sid, student=f"s{i}", created=1.0 + i, label="1", input28=bytes(784), style="mnist",
                model="m", prediction="1", confidence=1.0, probs='{"classes": ["0", "1"], "p": [0, 1]}'))
    engine.dispose()
    store = Store(url)
    default = rooms.default_room(store)  # the first use migrates to the latest version
    assert schema.version_of(store.engine) == schema.LATEST == 4
    assert default.is_default and not default.closed and len(default.code) == 6
    assert [d.student for d in store.drawings(all_sessions=True)] == ["s0", "s1", "s2"]
    assert [d.student for d in store.drawings(all_sessions=True, room_id=default.id)] == ["s0", "s1", "s2"]
    assert store.current_session()["id"] == new and [s["drawings"] for s in store.sessions()] == [1, 2]


def test_a_send_racing_a_new_session_lands_in_the_new_session(url):
    """The send's INSERT finds the current session itself: a "New class session" committed between the
    send's start and its INSERT (here, by a hook just before the INSERT) is seen, so the drawing never lands in
    the session just archived."""
    store = Store(url)
    send(store, "warm-up")
    raced = []

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def new_session_first(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO DRAWINGS") and not raced:
            raced.append(threading.Thread(target=lambda: raced.append(store.new_session("raced"))))
            raced[0].start()
            raced[0].join(30)

    did = send(store, "racer")
    sa.event.remove(store.engine, "before_cursor_execute", new_session_first)
    new = raced[1]
    [d] = [d for d in store.drawings(all_sessions=True) if d.id == did]
    archived = {s["id"] for s in store.sessions() if s["archived"]}
    assert d.session_id == new["id"] and d.session_id not in archived
    assert [x.student for x in store.drawings()] == ["racer"]


def test_a_nickname_is_one_browser_sessions_unless_the_teacher_shares_names(url):
    store = Store(url)
    room = rooms.open_room(store, "7B", "t")
    assert rooms.claim_nickname(store, room.id, " Sam ", "browser-1") == "Sam"
    assert rooms.claim_nickname(store, room.id, "Sam", "browser-1") == "Sam"  # the same session again
    with pytest.raises(NameTaken, match="Two of you are called Sam: pick another name"):
        rooms.claim_nickname(store, room.id, "Sam", "browser-2")
    with pytest.raises(NameTaken):
        rooms.claim_nickname(store, room.id, "sAM", "browser-2")  # case does not make another name
    other = rooms.open_room(store, "7C", "t")
    assert rooms.claim_nickname(store, other.id, "Sam", "browser-2") == "Sam"  # another room: its own names
    rooms.set_shared_names(store, room.id, True)
    assert rooms.shared_names(store, room.id)
    assert rooms.claim_nickname(store, room.id, "Sam", "browser-2") == "Sam"
    rooms.set_shared_names(store, room.id, False)
    with pytest.raises(NameTaken):
        rooms.claim_nickname(store, room.id, "Sam", "browser-3")
    store.new_session(room_id=room.id)  # a new class session: the names are free again
    assert rooms.claim_nickname(store, room.id, "Sam", "browser-3") == "Sam"
    with pytest.raises(NameTaken):
        rooms.claim_nickname(store, room.id, "Sam", "browser-1")


def test_two_sessions_claiming_one_name_at_once_get_it_once(url):
    store = Store(url)
    room = rooms.open_room(store, "7B", "t")
    results = []

    def claim(holder):
        try:
            results.append(rooms.claim_nickname(store, room.id, "Zoe", holder))
        except NameTaken:
            results.append("taken")

    threads = [threading.Thread(target=claim, args=(f"b{i}",)) for i in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == ["Zoe"] + ["taken"] * 5


def test_the_class_commands_take_a_room(tmp_path, monkeypatch, capsys):
    import json

    from core.cli import main
    from core.classroom.store import open_store

    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    store = open_store()
    room = rooms.open_room(store, "7B maths", "t")
    send(store, "in-7b", room_id=room.id)
    send(store, "at-home")

    def lines(argv):
        assert main(argv) == 0
        return [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    assert [r["student"] for r in lines(["class", "list", "--room", room.code])] == ["in-7b"]
    assert [r["student"] for r in lines(["class", "list"])] == ["at-home"]  # the default room
    listed = lines(["class", "rooms"])
    assert [(r["name"], r["default"], r["drawings"]) for r in listed] == [("Class", True, 1), ("7B maths", False, 1)]
    assert lines(["class", "clear", "--yes", "--room", room.code.lower()]) == [{"deleted": 1}]
    assert store.count(all_sessions=True) == 1 and store.count(all_sessions=True, room_id=room.id) == 0
    assert main(["class", "list", "--room", "ZZZZZZ"]) == 2
    assert "No class has the join code ZZZZZZ" in capsys.readouterr().err


def _fill_room(store, room_id, students, per=6):
    x = np.zeros((28, 28), np.uint8)
    for s in students:
        for k in range(per):
            x[4:24, 10 + k:14 + k] = 255
            store.add(s, str(k % 10), x.copy(), "mnist", "m", DIGITS, np.eye(10)[k % 10] * 0.9 + 0.01, room_id=room_id)


@needs_shared
def test_a_room_teaches_the_model_its_own_handwriting(tmp_path, monkeypatch, tiny_bundle):
    """class-drawings of a room holds that room's drawings only; "Teach the model our handwriting" in a room
    trains on them and the bundle's card names the room, so the room's picker lists it first."""
    from core import registry
    from core.training.run import train
    from core.training.settings import Settings
    from core.classroom import finetune
    from core.datasets import class_drawings
    from core.classroom.store import open_store
    import shutil

    shared, tiny = tiny_bundle
    models = tmp_path / "models"  # a folder of its own: the session's shared tiny folder stays as other tests see it
    shutil.copytree(shared / tiny, models / tiny)
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(models))
    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    store = open_store()
    room = rooms.open_room(store, "7B maths", "t")
    _fill_room(store, room.id, ["ann", "ben", "cat"])
    _fill_room(store, None, ["zed", "yan"], per=2)  # the default room's: never in room 7B's dataset
    ds = class_drawings.load_room(room.code)
    assert len(ds.train) + len(ds.test) == 18
    assert len(class_drawings.load_room(None).train) + len(class_drawings.load_room(None).test) == 4
    assert "18 drawings by 3 student(s)" in class_drawings.status_room(room.code)["how"]
    with pytest.raises(class_drawings.DatasetMissing, match="No class has the join code"):
        class_drawings.load_room("ZZZZZZ")

    settings = finetune.settings_for(tiny, epochs=1, room=room)
    assert settings["class_room"] == room.code and settings["name"] == f"{tiny}-class-{room.code.lower()}"
    assert "7B maths's handwriting" in settings["title"]
    assert finetune.settings_for(tiny)["class_room"] is None  # no room: the default room's, as before
    name = train(Settings(**settings))
    card = registry.inspect(name).card
    assert rooms.of_room(card, room.code) and not rooms.of_room(card, "ZZZZZZ") and not rooms.of_room(card, None)
    assert "18 drawings by 3 students" in card["data"]["provenance"]  # the room's drawings, not the default room's

    # In the room, the picker lists the room's model first (and starts with it); elsewhere, it is not first.
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["room"] = room.code
    at.run()
    assert not at.exception
    picker = at.sidebar.selectbox(key="model_name")
    assert picker.value == name and "7B maths's handwriting" in picker.options[0]
    assert at.session_state["class_room"].code == room.code  # the Draw page joined the link's room
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert at.sidebar.selectbox(key="model_name").value == tiny  # no room: the picker as before
