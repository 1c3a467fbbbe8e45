"""The class's drawings in a database, through SQLAlchemy, at HWLAB_DB_URL (config.db_url()): by default a
SQLite file in the data home (WAL, a busy timeout), or `postgresql+psycopg://...` for several app servers
sharing one class. Every send is one transaction. The class sessions belong to rooms (rooms.py): each
method that reads or starts sessions takes a `room_id`, None meaning the default room (a server without rooms).
A database that cannot be reached raises ClassStoreError, a sentence the pages show while drawing and
predicting go on."""
from __future__ import annotations

import functools
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

import numpy as np
import sqlalchemy as sa

from .. import config
from ..errors import HWLabError
from ..model.input import from_uint8, to_uint8
from . import schema
from .schema import class_sessions, drawings, nicknames, rooms

MAX_NAME = 24
MAX_DRAWINGS_PER_SESSION = 5_000  # a class session keeps at most this many; the wall reads no more


class ClassStoreError(HWLabError):
    """The class database cannot be reached or refused a write; the sentence says which."""


class BadClassInput(HWLabError):
    """A nickname or label that cannot be stored."""


@dataclass
class Drawing:
    id: int
    session_id: int
    student: str
    created: float
    label: str
    input28: np.ndarray  # (28, 28) uint8
    style: str
    model: str
    prediction: str
    confidence: float
    classes: list[str]
    probs: list[float]

    @property
    def correct(self) -> bool:
        return self.prediction == self.label

    def x(self) -> np.ndarray:
        """The model input again: float32 (1, 28, 28, 1) in [0, 1]."""
        return from_uint8(self.input28)


def clean_student(name) -> str:
    """A nickname trimmed, inner spaces collapsed, at most 24 characters; refuses an empty one."""
    text = " ".join(str(name or "").split())
    text = "".join(ch for ch in text if ch.isprintable())
    if not text:
        raise BadClassInput("Type a nickname first (no other personal data): it is how the wall shows your drawings.")
    return text[:MAX_NAME].rstrip()


def check_label(label, classes: list[str]) -> str:
    label = str(label).strip()
    if label not in classes:
        raise BadClassInput(f"{label!r} is not one of the model's classes ({', '.join(classes[:12])}"
                            f"{'…' if len(classes) > 12 else ''}).")
    return label


def to_input28(x: np.ndarray) -> np.ndarray:
    """A model input (1, 28, 28, 1) float in [0, 1] -> (28, 28) uint8, as stored."""
    return to_uint8(np.asarray(x).reshape(28, 28))


def _shown_url(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


def _engine(url: str) -> sa.Engine:
    u = sa.make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(u, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers (the wall) never block a send
            cur.execute("PRAGMA busy_timeout=30000")  # a writer waits for another instead of failing
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    connect_args = {"connect_timeout": 5} if u.get_backend_name() == "postgresql" else {}
    return sa.create_engine(u, pool_pre_ping=True, pool_size=10, max_overflow=30, connect_args=connect_args)


def guarded(method):
    """Database failures become one sentence (ClassStoreError); the schema is brought up to date first."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            self._ready()
            return method(self, *args, **kwargs)
        except HWLabError:
            raise
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
            raise ClassStoreError(f"The class database ({self.shown_url}) cannot be used right now ({detail}). "
                                  f"Drawing and predicting still work; try sending again in a moment.") from None
    return wrapper


class Store:
    def __init__(self, url: str):
        self.url, self.shown_url = url, _shown_url(url)
        self.engine = _engine(url)
        self._migrated = False
        self._lock = threading.Lock()
        self._default_room: Optional[int] = None

    def _ready(self) -> None:
        if not self._migrated:
            with self._lock:
                if not self._migrated:
                    schema.migrate(self.engine)
                    self._migrated = True

    def ready_engine(self) -> sa.Engine:
        """The database's engine with its tables up to date (the training queue shares the database)."""
        self._ready()
        return self.engine

    def room(self, room_id: Optional[int]) -> int:
        """The room id itself, or the default room's (the first room: schema version 3 made it)."""
        if room_id is not None:
            return int(room_id)
        if self._default_room is None:
            with self.engine.connect() as conn:
                self._default_room = conn.execute(sa.select(sa.func.min(rooms.c.id))).scalar()
        return self._default_room

    def _current_id(self, room_id: int):
        """The room's current session id, as a subquery: a send evaluates it inside its own INSERT, so a
        "New class session" that commits first is always seen (never the archived one)."""
        return (sa.select(class_sessions.c.id).where(class_sessions.c.room_id == room_id,
                                                      class_sessions.c.archived.is_(False))
                .order_by(class_sessions.c.id.desc()).limit(1).scalar_subquery())

    def _sessions_of(self, room_id: Optional[int]):
        return sa.select(class_sessions.c.id).where(class_sessions.c.room_id == self.room(room_id))

    # ------------------------------------------------------------ sessions
    @guarded
    def current_session(self, room_id: Optional[int] = None) -> dict:
        room_id = self.room(room_id)
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(class_sessions).where(class_sessions.c.id == self._current_id(room_id))
                               ).mappings().first()
            if row is None:  # every session archived by hand: start one
                return self.new_session(room_id=room_id)
            return dict(row)

    @guarded
    def sessions(self, room_id: Optional[int] = None) -> list[dict]:
        """Every class session of the room, the newest first, with its number of drawings."""
        n = sa.func.count(drawings.c.id).label("drawings")
        q = (sa.select(class_sessions, n).select_from(class_sessions.outerjoin(drawings))
             .where(class_sessions.c.room_id == self.room(room_id))
             .group_by(class_sessions.c.id).order_by(class_sessions.c.id.desc()))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    @guarded
    def new_session(self, name: Optional[str] = None, room_id: Optional[int] = None) -> dict:
        """Archives the room's current session (its drawings stay, selectable) and starts a new one; the
        room's nicknames are free again."""
        room_id = self.room(room_id)
        with self.engine.begin() as conn:
            conn.execute(sa.update(class_sessions).where(class_sessions.c.room_id == room_id).values(archived=True))
            count = conn.execute(sa.select(sa.func.count()).select_from(class_sessions)
                                 .where(class_sessions.c.room_id == room_id)).scalar() or 0
            name = (name or "").strip()[:80] or f"Session {count + 1}"
            sid = conn.execute(sa.insert(class_sessions).values(name=name, started=time.time(), archived=False,
                                                                room_id=room_id)
                               .returning(class_sessions.c.id)).scalar()
            conn.execute(sa.delete(nicknames).where(nicknames.c.room_id == room_id))
        return {"id": sid, "name": name, "archived": False, "room_id": room_id}

    # ------------------------------------------------------------ drawings
    @guarded
    def add(self, student: str, label: str, x, style: str, model: str, classes: list[str], probs,
            canvas_png: Optional[bytes] = None, created: Optional[float] = None, session_id: Optional[int] = None,
            room_id: Optional[int] = None) -> int:
        """Stores one drawing in one transaction; returns its id. `x`: the model input (any shape of 784
        values in [0, 1]) or the (28, 28) uint8 input; `probs`: the model's probabilities over `classes`."""
        return self.add_many([dict(student=student, label=label, x=x, style=style, model=model, classes=classes,
                                   probs=probs, canvas_png=canvas_png, created=created)], session_id, room_id)[0]

    @guarded
    def add_many(self, rows: Iterable[dict], session_id: Optional[int] = None,
                 room_id: Optional[int] = None) -> list[int]:
        """Several drawings in one transaction (all or none), into `session_id` or the room's current session
        as the first INSERT finds it: `class add`, `class import`."""
        values = [self._row(r) for r in rows]
        if not values:
            return []
        room_id = self.room(room_id)
        if session_id is None:
            self.current_session(room_id)  # there is one (it starts one where every session was archived)
        target = session_id if session_id is not None else self._current_id(room_id)
        # Counted before the insert's transaction, so a send never waits on another's: concurrent sends can pass
        # the cap by a few, and the wall still reads no more than the cap (wall.live_rows).
        if self.count(session_id, room_id=room_id) + len(values) > MAX_DRAWINGS_PER_SESSION:
            raise BadClassInput(f"This class session has {MAX_DRAWINGS_PER_SESSION:,} drawings, as many as one "
                                f"session keeps: the teacher can start a new class session for more.")
        ids = []
        with self.engine.begin() as conn:
            for v in values:
                did, target = conn.execute(sa.insert(drawings).values(session_id=target, **v)
                                           .returning(drawings.c.id, drawings.c.session_id)).one()
                ids.append(did)
        return ids

    @staticmethod
    def _row(r: dict) -> dict:
        classes = [str(c) for c in r["classes"]]
        label = check_label(r["label"], classes)
        x = np.asarray(r["x"])
        x28 = x.reshape(28, 28).astype(np.uint8) if x.dtype == np.uint8 else to_input28(x)
        p = np.asarray(r["probs"], np.float64).reshape(-1)
        if len(p) != len(classes):
            raise BadClassInput(f"{len(p)} probabilities for {len(classes)} classes.")
        top = int(p.argmax())
        return dict(student=clean_student(r["student"]), label=label, input28=x28.tobytes(), style=r["style"],
                    model=r["model"], prediction=classes[top], confidence=float(p[top]),
                    probs=json.dumps({"classes": classes, "p": [round(float(v), 5) for v in p]}),
                    canvas_png=r.get("canvas_png"), created=r.get("created") or time.time())

    @guarded
    def drawings(self, session_id: Optional[int] = None, all_sessions: bool = False, after_id: int = 0,
                 limit: Optional[int] = None, room_id: Optional[int] = None) -> list[Drawing]:
        """The drawings of one session (default: the room's current one) or of all the room's, oldest first."""
        q = sa.select(*[c for c in drawings.c if c.name != "canvas_png"]).where(drawings.c.id > after_id)
        if all_sessions:
            q = q.where(drawings.c.session_id.in_(self._sessions_of(room_id)))
        else:
            q = q.where(drawings.c.session_id == (session_id or self.current_session(room_id)["id"]))
        q = q.order_by(drawings.c.id.desc() if limit else drawings.c.id)
        if limit:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = [self._drawing(r) for r in conn.execute(q).mappings()]
        return sorted(rows, key=lambda d: d.id) if limit else rows

    @staticmethod
    def _drawing(r) -> Drawing:
        p = json.loads(r["probs"])
        return Drawing(r["id"], r["session_id"], r["student"], r["created"], r["label"],
                       np.frombuffer(r["input28"], np.uint8).reshape(28, 28), r["style"], r["model"],
                       r["prediction"], r["confidence"], p["classes"], p["p"])

    @guarded
    def canvas_png(self, drawing_id: int) -> Optional[bytes]:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(drawings.c.canvas_png).where(drawings.c.id == drawing_id)).scalar()

    @guarded
    def signature(self, session_id: Optional[int] = None) -> tuple[int, int, float]:
        """(drawings, newest id, sum of confidences) of one session (default: the current one): one cheap
        query that changes when a drawing is added, deleted or read again (the live wall's cache checks it)."""
        q = sa.select(sa.func.count(), sa.func.max(drawings.c.id), sa.func.sum(drawings.c.confidence)).where(
            drawings.c.session_id == (session_id or self.current_session()["id"]))
        with self.engine.connect() as conn:
            n, newest, total = conn.execute(q).one()
        return int(n or 0), int(newest or 0), round(float(total or 0.0), 6)

    @guarded
    def count(self, session_id: Optional[int] = None, all_sessions: bool = False,
              room_id: Optional[int] = None) -> int:
        q = sa.select(sa.func.count()).select_from(drawings)
        if all_sessions:
            q = q.where(drawings.c.session_id.in_(self._sessions_of(room_id)))
        else:
            q = q.where(drawings.c.session_id == (session_id or self.current_session(room_id)["id"]))
        with self.engine.connect() as conn:
            return conn.execute(q).scalar() or 0

    @guarded
    def delete(self, drawing_id: int) -> int:
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(drawings).where(drawings.c.id == int(drawing_id))).rowcount

    @guarded
    def delete_student(self, student: str, session_id: Optional[int] = None) -> int:
        sid = session_id or self.current_session()["id"]
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(drawings).where(drawings.c.session_id == sid,
                                                          drawings.c.student == student)).rowcount

    @guarded
    def clear(self, room_id: Optional[int] = None) -> int:
        """Every drawing and every session of the room gone; a fresh first session. Returns how many drawings
        went."""
        room_id = self.room(room_id)
        with self.engine.begin() as conn:
            n = conn.execute(sa.delete(drawings).where(drawings.c.session_id.in_(self._sessions_of(room_id)))).rowcount
            conn.execute(sa.delete(class_sessions).where(class_sessions.c.room_id == room_id))
            conn.execute(sa.delete(nicknames).where(nicknames.c.room_id == room_id))
            conn.execute(sa.insert(class_sessions).values(name="Session 1", started=time.time(), archived=False,
                                                          room_id=room_id))
        return n

    @guarded
    def reread(self, updates: list[tuple[int, str, list[str], np.ndarray]]) -> int:
        """New predictions for stored drawings: (id, model, classes, probabilities), in one transaction."""
        with self.engine.begin() as conn:
            for did, model, classes, p in updates:
                p = np.asarray(p, np.float64)
                top = int(p.argmax())
                conn.execute(sa.update(drawings).where(drawings.c.id == did).values(
                    model=model, prediction=classes[top], confidence=float(p[top]),
                    probs=json.dumps({"classes": list(classes), "p": [round(float(v), 5) for v in p]})))
        return len(updates)


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(url: Optional[str] = None) -> Store:
    """The store at `url` (default HWLAB_DB_URL or the SQLite file in the data home), one per process and URL:
    its connection pool is shared by every browser session of a server."""
    url = url or config.db_url()
    with _STORES_LOCK:
        if url not in _STORES:
            try:
                _STORES[url] = Store(url)
            except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
                raise ClassStoreError(f"HWLAB_DB_URL is not a database address SQLAlchemy can use ({exc}).") from None
        return _STORES[url]


def close_stores() -> None:
    """Forget every open store (their pools closed): the next open_store migrates afresh, as after a restart
    (a database dropped and made again under a running process, as the tests do)."""
    with _STORES_LOCK:
        for s in _STORES.values():
            s.engine.dispose()
        _STORES.clear()
