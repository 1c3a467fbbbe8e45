"""Limits kept by the server, not the browser session: two browser sessions (two AppTest runs in one server
process) share one nickname's send limit, one client address shares one limit across nicknames, the class
session's drawings are capped and the wall reads no more, and a 50 MB upload from a student session is
refused by the server with a sentence before the picture is read."""
import uuid

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.classroom import limits, store as store_mod, wall
from core.classroom.store import BadClassInput, open_store
from conftest import ROOT

DIGITS = [str(i) for i in range(10)]


@pytest.fixture
def class_db(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLAB_DB_URL", f"sqlite:///{tmp_path}/class.db")
    return open_store()


def _sender(nickname: str, sends: int, seat: str) -> None:
    """A Draw page's Send button pressed `sends` times on new drawings, in one browser session (AppTest script)
    whose link holds the seat `seat` (the same student in a new tab: the room lets that seat keep its nickname)."""
    import types

    import numpy as np
    import streamlit as st

    from ui import rooms
    from ui.draw import class_send

    pred = types.SimpleNamespace(classes=[str(i) for i in range(10)], style="mnist",
                                 bundle=types.SimpleNamespace(name="a-model"))
    probs = np.eye(10)[7]
    said = []
    st.session_state[rooms.SEAT] = seat
    for i in range(sends):
        digest = f"{id(st.session_state)}-{i}"
        x = np.full((1, 28, 28, 1), (i + 1) / (sends + 1), np.float32)
        st.session_state[class_send.NICK] = nickname
        st.session_state[class_send.PENDING] = (digest, pred, types.SimpleNamespace(x=x), None, probs)
        class_send._send(digest, lambda: None)
        problem = st.session_state.pop(class_send.PROBLEM, None)
        said.append(problem[1] if problem else "sent")
    for s in said:
        st.text(s)


def _session(nickname: str, sends: int, seat: str = "seat-of-one-student-0001") -> list[str]:
    at = AppTest.from_function(_sender, args=(nickname, sends, seat), default_timeout=60).run()
    assert not at.exception, at.exception
    return [t.value for t in at.text]


def test_two_browser_sessions_share_one_nicknames_send_limit(class_db):
    sam = f"Sam {uuid.uuid4().hex[:6]}"  # a nickname no other test used: the limit lives as long as the process
    first = _session(sam, 15)
    second = _session(sam.upper(), 15)  # a new tab, the same name typed in capitals
    assert first == ["sent"] * 15
    assert second[:5] == ["sent"] * 5
    assert all("20 drawings this minute: wait" in s for s in second[5:]), second
    assert class_db.count() == limits.SENDS_PER_MINUTE  # nothing beyond the limit was stored
    assert _session(f"Ann {uuid.uuid4().hex[:6]}", 1) == ["sent"]  # another student is not held up


def test_one_address_shares_a_limit_across_nicknames_and_rooms_are_apart():
    address, now = f"10.9.{uuid.uuid4().int % 250}.7", 1000.0
    sent = [limits.send_wait_s(f"name-{i}", None, address, now) for i in range(limits.SENDS_PER_ADDRESS_PER_MINUTE + 1)]
    assert sent[:-1] == [0.0] * limits.SENDS_PER_ADDRESS_PER_MINUTE and sent[-1] == pytest.approx(60.0)
    assert limits.send_wait_s("name-x", None, "10.9.0.99", now) == 0.0  # another device
    nick = f"kim-{uuid.uuid4().hex[:6]}"
    for _ in range(limits.SENDS_PER_MINUTE):
        assert limits.send_wait_s(nick, "room-a", None, now) == 0.0
    assert limits.send_wait_s(nick, "room-a", None, now + 1) == pytest.approx(59.0)
    assert limits.send_wait_s(nick, "room-b", None, now + 1) == 0.0  # the same name in another room
    assert limits.send_wait_s(nick, "room-a", None, now + 60) == 0.0  # a minute later


def test_a_refused_send_counts_against_no_limit():
    address, nick, now = f"10.8.{uuid.uuid4().int % 250}.1", f"lee-{uuid.uuid4().hex[:6]}", 50.0
    for _ in range(limits.SENDS_PER_MINUTE):
        limits.send_wait_s(nick, None, address, now)
    assert limits.send_wait_s(nick, None, address, now) > 0  # refused by the name's limit...
    for i in range(limits.SENDS_PER_ADDRESS_PER_MINUTE - limits.SENDS_PER_MINUTE):
        assert limits.send_wait_s(f"{nick}-{i}", None, address, now) == 0.0  # ...and the address's was not spent


def _add(store, n):
    for i in range(n):
        store.add("ann", "7", np.full((28, 28), i, np.uint8), "mnist", "m", DIGITS, np.eye(10)[7])


def test_a_class_session_keeps_at_most_the_cap_and_the_wall_reads_no_more(class_db, monkeypatch):
    monkeypatch.setattr(store_mod, "MAX_DRAWINGS_PER_SESSION", 3)
    _add(class_db, 3)
    with pytest.raises(BadClassInput, match="This class session has 3 drawings, as many as one session keeps"):
        _add(class_db, 1)
    with pytest.raises(BadClassInput):
        class_db.add_many([dict(student="bo", label="1", x=np.zeros((28, 28), np.uint8), style="mnist", model="m",
                                classes=DIGITS, probs=np.eye(10)[1])] * 2, None)
    assert class_db.count() == 3
    class_db.new_session()
    _add(class_db, 1)  # a new class session has room again
    monkeypatch.setattr(wall, "MAX_DRAWINGS_PER_SESSION", 2)  # a database that holds more than the cap
    sid = class_db.sessions()[-1]["id"]
    assert [d.id for d in wall.live_rows(class_db, sid)] == [d.id for d in class_db.drawings(sid)][-2:]


def test_a_50_mb_upload_from_a_student_session_is_refused_by_the_server(monkeypatch):
    monkeypatch.setenv("HWLAB_MODELS_DIR", str(ROOT / "models"))
    monkeypatch.setenv("HWLAB_TEACHER_PASSWORD", "tulip-42")  # a teacher is set: this session is a student's
    from core.model import preprocess

    read = []  # read_image copies and decodes a picture's bytes: it must never be reached
    monkeypatch.setattr(preprocess, "read_image", lambda data, name: read.append(name))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("app_pages/draw.py").run()
    uploader = at.file_uploader[0]
    uploader.upload("big.png", b"\x89PNG\r\n\x1a\n" + bytes(50 * 2**20), "image/png")
    at.run()
    assert not at.exception, at.exception
    assert any("big.png is 52.4 MB; the limit is 10 MB." in e.value for e in at.error), [e.value for e in at.error]
    assert not read


def test_the_servers_upload_limit_fits_kaggles_train_csv_and_no_more():
    import tomllib

    mb = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]
    assert 76_775_041 <= mb * 2**20 <= 100 * 2**20  # train.csv's size in bytes; Streamlit's default was 200 MB


def test_quiet_keys_are_forgotten_and_busy_ones_kept(monkeypatch):
    limit = limits.KeyedRateLimit(2, window=60)
    monkeypatch.setattr(limit, "MAX_KEYS", 3)
    limit.allow("busy", now=100.0)
    limit.allow("old-1", now=0.0)
    limit.allow("old-2", now=0.0)
    limit.allow("new", now=100.0)  # a fourth key: the two whose events left the window go
    assert set(limit._by_key) == {"busy", "new"}
