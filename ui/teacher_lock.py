"""The teacher's lock in the app: the sidebar's "Teacher password" field and the gate the Train, Datasets and
Class pages put around what only the teacher may do (start or cancel training, upload or download datasets,
delete class drawings, start a new class session). No password set: everything is open, as at home."""
from __future__ import annotations

from typing import Optional

import streamlit as st

from core.classroom import teacher

UNLOCKED = "teacher_unlocked"
FIELD = "teacher_password_field"
_UNLOCKER = "teacher_unlocker"
_MESSAGE = "teacher_message"


def password() -> Optional[str]:
    """The server's teacher password: HWLAB_TEACHER_PASSWORD, else teacher_password in Streamlit's secrets."""
    try:
        secret = st.secrets.get("teacher_password")
    except Exception:  # no secrets file at all: Streamlit raises rather than returning nothing
        secret = None
    return teacher.configured(secret)


def is_teacher() -> bool:
    return password() is None or bool(st.session_state.get(UNLOCKED))


def _try_unlock() -> None:
    given = st.session_state.get(FIELD, "")
    st.session_state[FIELD] = ""  # the password never stays in the page's state
    pw = password()
    if not given or pw is None:
        return
    unlocker = st.session_state.setdefault(_UNLOCKER, teacher.Unlocker())
    verdict = unlocker.check(given, pw)
    if verdict == "ok":
        st.session_state[UNLOCKED] = True
        st.session_state[_MESSAGE] = None
    elif verdict == "wrong":
        st.session_state[_MESSAGE] = "That is not the teacher password."
    else:
        st.session_state[_MESSAGE] = (f"Too many attempts: try again in {unlocker.wait_s():.0f} s.")


def _lock() -> None:
    st.session_state[UNLOCKED] = False


def sidebar_field() -> None:
    """In the sidebar: the password field (Enter submits), or, once unlocked, a Lock button."""
    if password() is None:
        return
    if st.session_state.get(UNLOCKED):
        st.sidebar.caption(":material/lock_open: Teacher mode in this browser.")
        st.sidebar.button("Lock", icon=":material/lock:", on_click=_lock, key="teacher_lock_button")
        return
    # No help tooltip: its button would also be labelled "Help for Teacher password".
    st.sidebar.text_input("Teacher password", type="password", key=FIELD, on_change=_try_unlock,
                          placeholder="the teacher unlocks training here")
    if st.session_state.get(_MESSAGE):
        st.sidebar.error(st.session_state[_MESSAGE])


def gate(what: str) -> bool:
    """True for the teacher; for a student, a sentence saying who does `what` (e.g. 'starts training')."""
    if is_teacher():
        return True
    st.info(f"The teacher {what}: ask your teacher, or unlock with the teacher password in the sidebar.",
            icon=":material/school:")
    return False
