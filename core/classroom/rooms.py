"""Class rooms: one class each, found by a join code, with its own class sessions (and so its own wall,
counters and drawings) and its own nickname holders. The store's queries take a room id (store.py); what is
about rooms themselves lives here: opening one, finding it by its code, closing the idle ones, who owns one,
and who holds a nickname in it.

A server without rooms uses the default room: the first room, which the migration to version 3 created for the
drawings there were (schema.py). It has no owner (whoever is the teacher manages it) and never closes."""
from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, replace
from typing import Optional

import sqlalchemy as sa

from ..errors import HWLabError
from .schema import ALPHABET, CODE_LENGTH, class_sessions, drawings, new_code, nicknames, rooms
from .store import BadClassInput, Store, guarded, clean_student

MAX_ROOM_NAME = 80
MAX_OPEN_ROOMS = 200  # on one server at once: far more classes than a school has rooms
IDLE_CLOSE_S = 24 * 3600.0  # a room with no drawing for a day is closed (its drawings stay, archived)


class RoomError(HWLabError):
    """A join code that is malformed, unknown or closed, or a room that cannot be opened; the sentence says which."""


class NameTaken(BadClassInput):
    """The nickname is another browser session's in this room."""


@dataclass(frozen=True)
class Room:
    id: int
    code: str
    name: str
    owner: Optional[str]
    opened: float
    closed: bool
    shared_names: bool

    @property
    def is_default(self) -> bool:
        return self.owner is None


def clean_code(text) -> str:
    """A join code as typed: spaces and dashes dropped, capitals; refuses what cannot be one."""
    code = "".join(str(text or "").split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        raise RoomError(f"A join code is {CODE_LENGTH} capital letters and digits, like {new_code()}: "
                        f"check the one on the board.")
    return code


def clean_room_name(name) -> str:
    text = " ".join("".join(ch for ch in str(name or "") if ch.isprintable()).split())
    if not text:
        raise RoomError("Give the room a name first, e.g. 7B maths.")
    return text[:MAX_ROOM_NAME].rstrip()


def owns(room: Room, teacher: Optional[str]) -> bool:
    """Whether `teacher` (an identity: an unlocked browser session's token, or later a signed-in e-mail) may
    start the room's sessions, delete its drawings and train on it. The default room is every teacher's."""
    if room.owner is None:
        return True
    return bool(teacher) and hmac.compare_digest(room.owner.encode(), str(teacher).encode())


def of_room(card: Optional[dict], code: Optional[str]) -> bool:
    """Whether a bundle's card says it learned the handwriting of the room with this join code (its training
    settings' class_room, core/classroom/finetune.py): the room's picker lists those first."""
    return bool(code) and (card or {}).get("training", {}).get("class_room") == code


def _room(row) -> Room:
    return Room(row["id"], row["code"], row["name"], row["owner"], row["opened"], bool(row["closed"]),
                bool(row["shared_names"]))


@guarded
def default_room(store: Store) -> Room:
    with store.engine.connect() as conn:
        return _room(conn.execute(sa.select(rooms).order_by(rooms.c.id).limit(1)).mappings().one())


@guarded
def open_room(store: Store, name: str, owner: str, now: Optional[float] = None) -> Room:
    """A new room owned by `owner`, with a fresh join code and its first class session."""
    name = clean_room_name(name)
    if not owner:
        raise RoomError("Only a teacher opens a room: unlock with the teacher password first.")
    now = time.time() if now is None else now
    close_idle(store, now)
    with store.engine.connect() as conn:
        n_open = conn.execute(sa.select(sa.func.count()).select_from(rooms).where(rooms.c.closed.is_(False))).scalar()
    if n_open >= MAX_OPEN_ROOMS:
        raise RoomError(f"{n_open} rooms are open on this server, the most it keeps at once: one closes after a "
                        f"day without drawings.")
    for _ in range(8):  # a code already taken (about one in a hundred million): draw another
        try:
            with store.engine.begin() as conn:
                rid = conn.execute(sa.insert(rooms).values(code=new_code(), name=name, owner=str(owner), opened=now,
                                                           closed=False, shared_names=False)
                                   .returning(rooms.c.id)).scalar()
                conn.execute(sa.insert(class_sessions).values(name="Session 1", started=now, archived=False,
                                                              room_id=rid))
                return _room(conn.execute(sa.select(rooms).where(rooms.c.id == rid)).mappings().one())
        except sa.exc.IntegrityError:
            continue
    raise RoomError("No free join code was found: press Open a room again.")


@guarded
def find(store: Store, code, now: Optional[float] = None) -> Room:
    """The open room with this join code; a sentence when the code is malformed, unknown or its room closed."""
    code = clean_code(code)
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(rooms).where(rooms.c.code == code)).mappings().first()
    if row is None:
        raise RoomError(f"No class has the join code {code}: check it on the board.")
    room = _room(row)
    if not room.closed and close_idle(store, now, only=room.id):
        room = replace(room, closed=True)
    if room.closed:
        raise RoomError(f"The class {room.name} ({code}) is closed: it had no drawing for a day. Ask your teacher "
                        f"for today's code.")
    return room


@guarded
def close_idle(store: Store, now: Optional[float] = None, idle_s: float = IDLE_CLOSE_S,
               only: Optional[int] = None) -> list[str]:
    """Closes every open room (or `only` that one; never the default room) whose newest drawing, or its
    opening when it has none, is older than `idle_s`; their class sessions are archived, their drawings stay.
    Returns the closed rooms' codes."""
    now = time.time() if now is None else now
    newest = (sa.select(sa.func.max(drawings.c.created)).select_from(drawings.join(class_sessions))
              .where(class_sessions.c.room_id == rooms.c.id).scalar_subquery())
    last = sa.func.coalesce(newest, rooms.c.opened)
    first_id = sa.select(sa.func.min(rooms.c.id)).scalar_subquery()
    with store.engine.begin() as conn:
        idle = conn.execute(sa.select(rooms.c.id, rooms.c.code).where(
            rooms.c.closed.is_(False), rooms.c.owner.is_not(None), rooms.c.id != first_id,
            last < now - idle_s, *([rooms.c.id == only] if only is not None else []))).all()
        if idle:
            ids = [r.id for r in idle]
            conn.execute(sa.update(rooms).where(rooms.c.id.in_(ids)).values(closed=True))
            conn.execute(sa.update(class_sessions).where(class_sessions.c.room_id.in_(ids)).values(archived=True))
    return [r.code for r in idle]


@guarded
def every_room(store: Store) -> list[dict]:
    """Every room, the default one first, with its number of drawings."""
    n = sa.func.count(drawings.c.id).label("drawings")
    q = (sa.select(rooms, n).select_from(rooms.outerjoin(class_sessions).outerjoin(drawings))
         .group_by(rooms.c.id).order_by(rooms.c.id))
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


@guarded
def set_shared_names(store: Store, room_id: int, allowed: bool) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.update(rooms).where(rooms.c.id == room_id).values(shared_names=bool(allowed)))


@guarded
def shared_names(store: Store, room_id: int) -> bool:
    with store.engine.connect() as conn:
        return bool(conn.execute(sa.select(rooms.c.shared_names).where(rooms.c.id == room_id)).scalar())


@guarded
def claim_nickname(store: Store, room_id: Optional[int], student: str, holder: str, now: Optional[float] = None) -> str:
    """Gives `student` to `holder` (a browser session's token) in the room, unless another browser session
    holds it and the teacher has not allowed shared names. Returns the nickname as stored. The holders are
    forgotten when the room starts a new class session (store.new_session)."""
    name = clean_student(student)
    key = name.casefold()[:24]
    room_id = store.room(room_id)
    with store.engine.begin() as conn:
        held = conn.execute(sa.select(nicknames.c.holder).where(nicknames.c.room_id == room_id,
                                                                nicknames.c.student == key)).scalar()
        if held is None:
            try:
                with conn.begin_nested():  # two sessions claiming at once: the second finds the first's
                    conn.execute(sa.insert(nicknames).values(room_id=room_id, student=key, holder=holder,
                                                             claimed=time.time() if now is None else now))
                return name
            except sa.exc.IntegrityError:
                held = conn.execute(sa.select(nicknames.c.holder).where(nicknames.c.room_id == room_id,
                                                                        nicknames.c.student == key)).scalar()
        if held == holder:
            return name
        shared = conn.execute(sa.select(rooms.c.shared_names).where(rooms.c.id == room_id)).scalar()
    if shared:
        return name
    raise NameTaken(f"Two of you are called {name}: pick another name.")
