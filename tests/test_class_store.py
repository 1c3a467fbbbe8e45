"""The class database (core/classroom/store.py, schema.py) on SQLite, and on PostgreSQL when
HWLAB_TEST_POSTGRES_URL is set (.ci/run starts a throwaway cluster and sets it)."""
import os
import threading

import numpy as np
import pytest
import sqlalchemy as sa

from core.classroom import schema
from core.classroom.store import BadClassInput, ClassStoreError, Store, open_store

DIGITS = [str(i) for i in range(10)]
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("HWLAB_TEST_POSTGRES_URL") else [])


def _fresh_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for t in ("training_jobs", "nicknames", "drawings", "class_sessions", "rooms", "schema_version"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {t} CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/class.db"
    u = os.environ["HWLAB_TEST_POSTGRES_URL"]
    _fresh_postgres(u)
    return u


def probs_for(k: int, sure: float = 0.9) -> np.ndarray:
    p = np.full(10, (1 - sure) / 9)
    p[k] = sure
    return p


def send(store, student="ann", label="3", read=3, sure=0.9, **kw):
    return store.add(student, label, np.random.default_rng(len(student)).random((1, 28, 28, 1)), "mnist", "tiny",
                     DIGITS, probs_for(read, sure), **kw)


def test_a_drawing_keeps_everything_it_was_sent_with(url):
    store = Store(url)
    x = np.random.default_rng(0).random((1, 28, 28, 1)).astype(np.float32)
    did = store.add("  Ann   Lee  ", "7", x, "mnist", "tiny", DIGITS, probs_for(1, 0.8), canvas_png=b"\x89PNG..")
    [d] = store.drawings()
    assert d.id == did and d.student == "Ann Lee"  # trimmed, inner spaces collapsed
    assert (d.label, d.prediction, round(d.confidence, 3), d.model, d.style) == ("7", "1", 0.8, "tiny", "mnist")
    assert not d.correct and len(d.probs) == 10 and d.classes == DIGITS
    assert np.abs(d.x() - x).max() <= 0.5 / 255 + 1e-6  # the 28x28 input, to the uint8 step
    assert store.canvas_png(did) == b"\x89PNG.."
    assert d.session_id == store.current_session()["id"]


def test_bad_input_is_refused_and_nothing_is_stored(url):
    store = Store(url)
    with pytest.raises(BadClassInput, match="not one of the model's classes"):
        send(store, label="A")
    with pytest.raises(BadClassInput, match="nickname"):
        send(store, student="   ")
    with pytest.raises(BadClassInput):  # all or none: the second row is bad, so the first is not stored either
        store.add_many([dict(student="a", label="1", x=np.zeros((28, 28), np.uint8), style="mnist", model="m",
                             classes=DIGITS, probs=probs_for(1)),
                        dict(student="b", label="x", x=np.zeros((28, 28), np.uint8), style="mnist", model="m",
                             classes=DIGITS, probs=probs_for(1))])
    assert store.count(all_sessions=True) == 0
    send(store, student="<b>" + "z" * 40)
    assert store.drawings()[0].student == "<b>" + "z" * 21  # at most 24 characters, kept as text


def test_sessions_archive_and_teacher_deletes(url):
    store = Store(url)
    first = store.current_session()["id"]
    a, b = send(store, "ann"), send(store, "ben")
    send(store, "ben", label="4")
    new = store.new_session("5B")
    assert new["name"] == "5B" and store.current_session()["id"] == new["id"] != first
    assert store.count() == 0 and store.count(session_id=first) == 3  # archived, still there
    sessions = {s["id"]: s for s in store.sessions()}
    assert sessions[first]["archived"] and sessions[first]["drawings"] == 3 and not sessions[new["id"]]["archived"]
    assert store.delete(a) == 1 and store.delete(a) == 0
    assert store.delete_student("ben", first) == 2
    assert store.count(session_id=first) == 0
    send(store)
    assert store.clear() == 1 and store.count(all_sessions=True) == 0 and len(store.sessions()) == 1


def test_reread_replaces_the_predictions(url):
    store = Store(url)
    did = send(store, label="3", read=5)
    assert not store.drawings()[0].correct
    store.reread([(did, "better", DIGITS, probs_for(3, 0.7))])
    d = store.drawings()[0]
    assert (d.model, d.prediction, d.correct, round(d.confidence, 2)) == ("better", "3", True, 0.7)


def test_concurrent_sends_lose_nothing(url):
    store = Store(url)
    errors = []

    def student(i):
        try:
            for k in range(15):
                send(store, f"s{i}", label=str(k % 10), read=k % 10)
        except Exception as exc:  # noqa: BLE001 - counted, the assertion shows it
            errors.append(exc)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(12)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors and store.count() == 12 * 15


def test_migrations_run_from_empty_and_from_version_1(url):
    engine = sa.create_engine(url)
    assert schema.migrate(engine, to=1) == 1
    with engine.begin() as conn:
        sid = conn.execute(sa.select(schema.class_sessions.c.id)).scalar()
        conn.execute(sa.insert(schema.drawings).values(
            session_id=sid, student="old", created=1.0, label="1", input28=bytes(784), style="mnist", model="m",
            prediction="1", confidence=1.0, probs='{"classes": ["0", "1"], "p": [0, 1]}'))
    assert schema.version_of(engine) == 1
    assert schema.migrate(engine) == schema.LATEST == 4
    assert schema.migrate(engine) == 4  # idempotent
    indexes = {i["name"] for i in sa.inspect(engine).get_indexes("drawings")}
    assert "ix_drawings_session_created" in indexes
    engine.dispose()
    assert [d.student for d in Store(url).drawings()] == ["old"]  # the data went through the migration


def test_an_unreachable_database_is_one_sentence_without_the_password():
    store = open_store("postgresql+psycopg://teacher:s3cret@127.0.0.1:1/class")
    with pytest.raises(ClassStoreError) as e:
        send(store)
    assert "cannot be used right now" in str(e.value) and "s3cret" not in str(e.value)
    with pytest.raises(ClassStoreError, match="not a database address"):
        open_store("nonsense-db://x")


def test_sqlite_runs_in_wal_mode(tmp_path):
    store = Store(f"sqlite:///{tmp_path}/c.db")
    store.count()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_an_export_imported_twice_or_into_its_own_room_adds_its_drawings_once(url, tmp_path):
    """`class import`'s check (transfer.not_yet_in against every session of the room), on each database: the same
    zip twice adds its drawings once, and a room's own export finds its drawings there, even in an archived session
    and though the export kept only whole seconds of when they were sent."""
    from core.classroom import rooms
    from core.classroom.transfer import export_zip, not_yet_in, read_zip

    store = Store(url)
    send(store, "ann", created=1_700_000_000.7)  # .7: an export writes 1_700_000_000 (cut, not rounded)
    send(store, "ben", label="7", read=1, created=1_700_000_001.2)
    out = tmp_path / "class.zip"
    assert export_zip(store, out) == 2
    rows = [dict(student=r["student"], label=r["label"], created=r["created"], x=r["input28"], style="mnist",
                 model="tiny", classes=DIGITS, probs=probs_for(3)) for r in read_zip(out)]
    assert not_yet_in(rows, store.drawings(all_sessions=True)) == []  # the room's own: there already
    store.new_session()
    assert not_yet_in(rows, store.drawings(all_sessions=True)) == []  # in an archived session: still there
    other = rooms.open_room(store, "5B", "teacher").id  # another room: a first import adds both, a second none
    fresh = not_yet_in(rows, store.drawings(all_sessions=True, room_id=other))
    assert [r["student"] for r in fresh] == ["ann", "ben"]
    store.add_many(fresh, room_id=other)
    assert not_yet_in(rows, store.drawings(all_sessions=True, room_id=other)) == []
    assert store.count(all_sessions=True, room_id=other) == 2
