"""On the Draw page: "Your name" (kept for the session) and "Send to the class", with the label the student
meant preset to the prediction. One press sends one drawing, to the session's room (ui/rooms.py; none: the
default room), and clears the canvas for the next one; at most 20 a minute per nickname and per device, kept
by the server (core/classroom/limits.py), so a new tab or a script gets no more. A nickname another browser
holds in the room is refused (core/classroom/rooms.py). A refused or failed send keeps the drawing and says
why in a sentence."""
from __future__ import annotations

import hashlib
from typing import Callable

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException

from core.classroom import rooms
from core.classroom.limits import SENDS_PER_MINUTE, send_wait_s
from core.classroom.pictures import thumbnail_png
from core.classroom.store import BadClassInput, ClassStoreError, MAX_NAME, clean_student, open_store
from core.errors import HWLabError
from ui import rooms as class_rooms
from ui import remembered, teacher_lock
from ui.draw import NICKNAME_FIELD_KEY, NICKNAME_KEY

NICK = NICKNAME_KEY  # survives the field's absence (another page)
FIELD = NICKNAME_FIELD_KEY
SENT = "class_sent"  # the digest of the last drawing sent: one press, one drawing
JUST_SENT = "class_just_sent"  # the label of the drawing a send just took away (said once, under the empty canvas)
PROBLEM = "class_send_problem"  # (kind, sentence) when a send was refused or failed: said once, the drawing stays
# The drawing on the canvas, for the Send button's callback: one slot, overwritten by the next drawing. Not the
# button's args: Streamlit keeps a fragment's old widgets (and their args) until a full rerun, so a canvas picture
# in each drawing's args grew the server by 270 MB in a minute of 40 students (benchmarks/concurrent_users.py).
PENDING = "class_send_pending"
# A press on Send while the stroke just drawn is still on its way to the model (the button then was the idle
# one): the run that reads the drawing sends it, instead of saying there is nothing to send.
PRESSED_EARLY = "class_send_pressed_early"


def _keep_name() -> None:
    st.session_state[NICK] = st.session_state.get(FIELD, "")
    remembered.remember(remembered.NICKNAME, st.session_state[NICK])  # a reconnect after a restart keeps it


def _label_key(digest: str) -> str:
    return f"class_label_{digest}"


def _send(digest: str, clear: Callable[[], None]) -> None:
    """The Send button's callback, before the drawing's fragment reruns: stores the drawing pressed on (its
    digest), then `clear`s the canvas for the next one."""
    pending = st.session_state.get(PENDING)
    if st.session_state.get(SENT) == digest or pending is None or pending[0] != digest:
        return  # a second press on the same drawing (a double click), or a drawing already replaced
    _, pred, prepared, image, probs = pending
    label = st.session_state.get(_label_key(digest), pred.classes[int(np.argmax(probs))])
    try:
        student = clean_student(st.session_state.get(NICK))
        wait = send_wait_s(student, class_rooms.room_id(), teacher_lock.client_address())
        if wait:
            st.session_state[PROBLEM] = ("warning", f"That is {SENDS_PER_MINUTE} drawings this minute: wait "
                                                    f"{max(1, round(wait))} s before the next.")
            return
        store, room_id = open_store(), class_rooms.room_id()
        student = rooms.claim_nickname(store, room_id, student, class_rooms.seat())
        store.add(student, label, prepared.x, pred.style, pred.bundle.name, pred.classes, probs,
                  canvas_png=None if image is None else thumbnail_png(image), room_id=room_id)
    except BadClassInput as exc:
        st.session_state[PROBLEM] = ("warning", str(exc))
    except (ClassStoreError, HWLabError) as exc:
        st.session_state[PROBLEM] = ("error", f"Not sent: {exc}")
    else:
        st.session_state[SENT] = digest
        st.session_state[JUST_SENT] = label
        clear()


def _nothing_to_send() -> None:
    st.session_state[PRESSED_EARLY] = True  # said, or sent, by the run that follows (class_send)


def _send_now(digest: str, clear: Callable[[], None]) -> None:
    """A press that came before the drawing was read: send it in this run, then rerun the drawing's fragment
    so that the canvas shows it empty."""
    _send(digest, clear)
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:  # this run is the whole page's, not the fragment's
        st.rerun()


def _name_and_label(pred, digest: str | None, guess: int) -> None:
    """Not a fragment of its own: a student types the name once and corrects a label now and then, while
    a nested fragment cost every drawing's rerun a deep copy of Streamlit's layout state (about a tenth of
    the server's Python with a class sending, py-spy --gil)."""
    if FIELD not in st.session_state:
        st.session_state[NICK] = st.session_state.get(NICK) or remembered.recall(remembered.NICKNAME) or ""
        st.session_state[FIELD] = st.session_state[NICK]
    # No help tooltip: its button would also be labelled "Help for Your name" (one field for get_by_label).
    st.text_input("Your name", key=FIELD, max_chars=MAX_NAME, on_change=_keep_name,
                  placeholder="a nickname")
    if digest is not None:
        st.selectbox("What you meant", pred.classes, index=guess, key=_label_key(digest),
                     help="Preset to the model's answer: correct it when the model was wrong.")


def class_send(pred, prepared, image, probs, clear: Callable[[], None]) -> None:
    """The name field always; the label and the Send button once something is drawn (`prepared` not None;
    `probs`: the model's output for it). `clear` empties the canvas after a send. Everything belongs to the
    caller's fragment, so that a send and the fresh canvas are one rerun."""
    drawn = prepared is not None and prepared.x is not None
    digest = hashlib.sha1(np.ascontiguousarray(prepared.x).tobytes()).hexdigest()[:16] if drawn else None
    with st.container(border=True, horizontal=True, vertical_alignment="bottom", wrap=True, key="class_send_box"):
        _name_and_label(pred, digest, int(np.argmax(probs)) if drawn else 0)
        pressed_early = st.session_state.pop(PRESSED_EARLY, False)
        if drawn:
            st.session_state[PENDING] = (digest, pred, prepared, image, probs)
            if pressed_early:
                _send_now(digest, clear)
            st.button("Send to the class", icon=":material/send:", key=f"class_send_{digest}", type="primary",
                      on_click=_send, args=(digest, clear))
        else:  # not disabled: after a send focus stays on it (a disabled button would drop it to the page's body)
            st.button("Send to the class", icon=":material/send:", key="class_send_idle", on_click=_nothing_to_send)
    if pressed_early and not drawn:
        st.session_state[PROBLEM] = ("warning", "Nothing to send yet: draw a character, try a sample or upload "
                                                "a picture.")
    problem = st.session_state.pop(PROBLEM, None)
    just_sent = st.session_state.pop(JUST_SENT, None)
    if problem:
        (st.error if problem[0] == "error" else st.warning)(problem[1])
    elif just_sent is not None:
        st.toast(f"Sent to the class as {just_sent}", icon=":material/send:")
        st.caption(f":material/check_circle: Sent. Your {just_sent} is on the class wall: draw the next one.")
    elif not drawn:
        st.caption("Draw, then send your drawing to the class wall.")
