"""The room a browser session is in, and the rooms on the pages: the Draw page's "Join a class" line, the Class
page's "Room name" / "Open a room" and the join code the projector shows (large, and as a QR code).

A room comes from the link (`?room=CODE`), the "Join a class" field or "Open a room". It is kept in the session
and put back into the link's query on every page, so a reconnect (a new session) finds it again; so is the
session's seat, the token that holds its nickname in the room (core/classroom/rooms.py). No room: the default
room, the app as it was before rooms. The store's room logic lives in core/classroom/rooms.py; this is the page
side only."""
from __future__ import annotations

import html
import re
import secrets
from typing import Optional

import streamlit as st

from core.classroom import rooms
from core.classroom.rooms import Room, RoomError
from core.classroom.store import ClassStoreError, Store
from ui import remembered, teacher_lock

QUERY = remembered.ROOM  # the link's parameter: /?room=CODE, /class?room=CODE
ROOM = "class_room"  # the Room this session is in (None: the default room)
SEAT = "class_seat"
TEACHER = "class_teacher_identity"
JOIN_FIELD = "class_join_field"
MESSAGE = "class_room_message"
NAME_FIELD = "class_room_name"
_SEAT_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,32}")


def current_room(store: Store) -> Optional[Room]:
    """The room of this session: the link's code first, else the one kept in the session. A code that is
    wrong or whose room closed is said once, and the session goes back to the default room."""
    code = st.query_params.get(QUERY)
    kept: Optional[Room] = st.session_state.get(ROOM)
    if not code and kept is None:
        return None
    try:
        room = rooms.find(store, code or kept.code)
    except (RoomError, ClassStoreError) as exc:
        st.warning(str(exc))
        leave()
        return None
    enter(room)
    return room


def enter(room: Room) -> None:
    st.session_state[ROOM] = room
    remembered.remember(QUERY, room.code)  # in the link, on every page: a reconnect keeps the room


def leave() -> None:
    st.session_state.pop(ROOM, None)
    remembered.remember(QUERY, None)


def room_id() -> Optional[int]:
    """The id of this session's room as last seen by a page (None: the default room). Cheap: for callbacks."""
    room = st.session_state.get(ROOM)
    return room.id if room is not None else None


def seat() -> str:
    """This browser's token for holding a nickname: kept in the link's query, so that a reconnect keeps the name."""
    token = st.session_state.get(SEAT) or remembered.recall(remembered.SEAT) or ""
    if not _SEAT_PATTERN.fullmatch(token):
        token = secrets.token_urlsafe(12)
    st.session_state[SEAT] = token
    remembered.remember(remembered.SEAT, token)
    return token


def teacher_identity() -> Optional[str]:
    """Who the teacher of this session is, for rooms.owns: a signed-in teacher's e-mail (the same in every tab
    and after a restart), else the unlocked browser session (a token of its own)."""
    who = teacher_lock.identity()
    if who is None:
        return None
    if "@" in who:
        return who
    return st.session_state.setdefault(TEACHER, "session:" + secrets.token_urlsafe(16))


def owns(room: Optional[Room], store: Store) -> bool:
    """Whether this session's teacher may manage the room (None: the default room)."""
    return rooms.owns(room or rooms.default_room(store), teacher_identity())


# ---------------------------------------------------------------- Draw page
def _join() -> None:
    typed = st.session_state.get(JOIN_FIELD, "")
    st.session_state[JOIN_FIELD] = ""
    if not typed.strip():
        return
    from core.classroom.store import open_store

    try:
        enter(rooms.find(open_store(), typed))
    except (RoomError, ClassStoreError) as exc:
        st.session_state[MESSAGE] = str(exc)


def join_line(store: Store) -> Optional[Room]:
    """The Draw page's line: which class the drawings go to (and Leave), or the "Join a class" field."""
    room = current_room(store)
    with st.container(horizontal=True, vertical_alignment="center", wrap=True, key="class_join_line"):
        if room is not None:
            st.markdown(f":material/groups: Class **{_plain(room.name)}** · join code {room.code}", width="content",
                        help="Send to the class puts your drawing on this class's wall.")
            st.button("Leave", icon=":material/logout:", on_click=leave, key="class_leave", type="tertiary",
                      help="Draw for yourself, or join another class with its code.")
        else:
            st.text_input("Join a class", key=JOIN_FIELD, on_change=_join, max_chars=12, width=220,
                          placeholder="the join code on the board")
    message = st.session_state.pop(MESSAGE, None)
    if message:
        st.warning(message)
    return room


# ---------------------------------------------------------------- Class page
def _open(store: Store) -> None:
    try:
        room = rooms.open_room(store, st.session_state.get(NAME_FIELD, ""), teacher_identity())
    except (RoomError, ClassStoreError) as exc:
        st.session_state[MESSAGE] = str(exc)
        return
    st.session_state[NAME_FIELD] = ""
    st.session_state.pop("wall_session", None)  # the wall follows the new room's session
    enter(room)


def open_form(store: Store) -> None:
    """For a teacher: "Room name" and "Open a room". The room opened is this session's, and the wall its."""
    if not teacher_lock.is_teacher():
        return
    with st.container(horizontal=True, vertical_alignment="bottom", wrap=True, key="class_open_room"):
        st.text_input("Room name", key=NAME_FIELD, max_chars=rooms.MAX_ROOM_NAME, width=280,
                      placeholder="e.g. 7B maths")
        st.button("Open a room", icon=":material/meeting_room:", on_click=_open, args=(store,), key="class_open")
    message = st.session_state.pop(MESSAGE, None)
    if message:
        st.warning(message)


def join_link(room: Room) -> str:
    """The link students open: the app's address (as this browser reached it) with ?room=CODE."""
    here = st.context.url or ""
    base = re.sub(r"/class/?$", "/", here) if here else "/"  # the Class page's own path off
    return f"{base if base.endswith('/') else base + '/'}?{QUERY}={room.code}"


def qr_data_uri(text: str) -> str:
    """The QR code of `text`, a PNG as a data: URI (for an <img> with its own alt text)."""
    import segno

    return segno.make(text, error="m").png_data_uri(scale=10, border=2, dark="#000000", light="#ffffff")


def join_panel(room: Room) -> None:
    """What the projector shows of a room: its name, the join code in large type, the link and its QR code."""
    link = join_link(room)
    text, qr = st.columns([3, 1], vertical_alignment="center")
    with text:
        # The code is from rooms.ALPHABET and the name is escaped: nothing here is markup a student typed.
        st.html(f"<div class='hw-join' style='line-height:1.2'>"
                f"<div style='font-size:1.4rem'>{html.escape(room.name)}</div>"
                f"<div style='font-size:clamp(2.2rem, 6vw, 5rem); font-weight:700; letter-spacing:0.08em'>"
                f"Join code: {room.code}</div></div>")
        st.markdown(f"Students open [{_plain(link)}]({link}), scan the code, or type the join code on the Draw page.")
    with qr:
        st.html(f"<figure style='margin:0; text-align:center'><img src='{qr_data_uri(link)}' "
                f"style='width:100%; max-width:320px; height:auto; image-rendering:pixelated' "
                f"alt='QR code of the link to join {html.escape(room.name, quote=True)}'>"
                f"<figcaption style='font-size:0.9rem'>Scan to join</figcaption></figure>")


def _plain(text: str) -> str:
    """A name or link shown in markdown as the characters typed (no markup, no links of its own)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~:$])", r"\\\1", text)
