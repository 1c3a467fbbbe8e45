"""On the Draw page: "Your name" (kept for the session) and "Send to the class", with the label the student
meant preset to the prediction. One press sends one drawing; at most 20 a minute a session."""
from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from core.classroom.limits import SENDS_PER_MINUTE, RateLimit
from core.classroom.pictures import thumbnail_png
from core.classroom.store import BadClassInput, ClassStoreError, MAX_NAME, clean_student, open_store
from core.errors import HWLabError

NICK = "class_nickname"  # survives the field's absence (another page)
FIELD = "class_nickname_field"
SENT = "class_sent"  # the digest of the last drawing sent: one press, one drawing
LIMIT = "class_send_limit"


def _keep_name() -> None:
    st.session_state[NICK] = st.session_state.get(FIELD, "")


def _send(pred, prepared, image, label: str, digest: str, probs: np.ndarray) -> None:
    limit = st.session_state.setdefault(LIMIT, RateLimit(SENDS_PER_MINUTE))
    try:
        student = clean_student(st.session_state.get(NICK))
        if not limit.allow():
            st.warning(f"That is {SENDS_PER_MINUTE} drawings this minute: wait {limit.wait_s():.0f} s before the next.")
            return
        open_store().add(student, label, prepared.x, pred.style, pred.bundle.name, pred.classes, probs,
                         canvas_png=None if image is None else thumbnail_png(image))
    except BadClassInput as exc:
        st.warning(str(exc))
    except (ClassStoreError, HWLabError) as exc:
        st.error(f"Not sent: {exc}")
    else:
        st.session_state[SENT] = digest
        st.toast(f"Sent to the class as {label}", icon=":material/send:")


@st.fragment
def class_send(pred, prepared, image, probs=None) -> None:
    """The name field always; the label and the Send button once something is drawn (`prepared` not None;
    `probs`: the model's output for it). A fragment of its own: typing the name, picking the label and
    sending rerun only this box, not the canvas, the prediction and its bars (with a class sending, the
    drawing fragment's reruns were most of the server's time)."""
    with st.container(border=True):
        if FIELD not in st.session_state:
            st.session_state[FIELD] = st.session_state.get(NICK, "")
        left, right = st.columns([1, 1], vertical_alignment="bottom")
        # No help tooltip: its button would also be labelled "Help for Your name" (one field for get_by_label).
        left.text_input("Your name", key=FIELD, max_chars=MAX_NAME, on_change=_keep_name,
                        placeholder="a nickname, shown on the class wall")
        if prepared is None or prepared.x is None:
            right.button("Send to the class", icon=":material/send:", disabled=True, key="class_send_idle")
            st.caption("Draw, then send your drawing to the class wall.")
            return
        digest = hashlib.sha1(np.ascontiguousarray(prepared.x).tobytes()).hexdigest()[:16]
        probs = pred(prepared.x)[0] if probs is None else probs
        guess = int(np.argmax(probs))
        label = right.selectbox("What you meant", pred.classes, index=guess, key=f"class_label_{digest}",
                                help="Preset to the model's answer: correct it when the model was wrong.")
        if st.session_state.get(SENT) == digest:
            st.caption(":material/check_circle: Sent. Draw another one, or clear the canvas.")
        elif st.button("Send to the class", icon=":material/send:", key=f"class_send_{digest}", type="primary"):
            _send(pred, prepared, image, label, digest, probs)
            if st.session_state.get(SENT) == digest:
                st.caption(":material/check_circle: Sent. Draw another one, or clear the canvas.")
