"""The Class page's teacher actions on the room shown: start a new class session (the old one is archived,
still selectable), allow shared nicknames, delete one drawing or all of one student's, and re-read every drawing
with the picked model. The page shows them to the room's owner only (ui/rooms.py owns)."""
from __future__ import annotations

import streamlit as st

from typing import Optional

from core.classroom import rooms, wall
from core.classroom.store import ClassStoreError, Store
from ui.class_wall import SESSION_KEY, TEACHER_KEY_PREFIX
from ui.state import current_predictor

K = TEACHER_KEY_PREFIX


def teacher_actions(store: Store, session_id: int, room_id: Optional[int] = None) -> None:
    try:
        rows = store.drawings(session_id=session_id)
        _actions(store, session_id, rows, room_id)
    except ClassStoreError as exc:
        st.error(str(exc))


def _shared_names(store: Store, room_id: int) -> None:
    rooms.set_shared_names(store, room_id, st.session_state[f"{K}shared_{room_id}"])


def _actions(store: Store, session_id: int, rows, room_id: Optional[int]) -> None:
    c = st.columns(3)
    with c[0].container(border=True):
        st.markdown("**New class session**")
        name = st.text_input("Its name", key=K + "name", placeholder="e.g. 5B, Tuesday")
        if st.button("Start a new class session", icon=":material/add_circle:", key=K + "new"):
            s = store.new_session(name, room_id=room_id)
            st.session_state.pop(SESSION_KEY, None)  # the wall follows the new session
            st.toast(f"{s['name']} started; the previous session is archived.", icon=":material/check:")
            st.rerun()
        rid = store.room(room_id)  # the key names the room: another room's switch is another widget
        st.toggle("Students may share a nickname", key=f"{K}shared_{rid}", value=rooms.shared_names(store, rid),
                  on_change=_shared_names, args=(store, rid),
                  help="Off: a nickname is one student's in this room (until a new class session).")
    with c[1].container(border=True):
        st.markdown("**Delete**")
        ids = [d.id for d in reversed(rows)]
        labels = {d.id: f"#{d.id} · {d.student} · meant {d.label}" for d in rows}
        one = st.selectbox("One drawing", ids, format_func=labels.get, key=K + "one", index=None,
                           placeholder="pick a drawing")
        if st.button("Delete this drawing", icon=":material/delete:", key=K + "delete", disabled=one is None):
            store.delete(one)
            st.session_state.pop("wall_selected", None)
            st.rerun()
        students = sorted({d.student for d in rows})
        who = st.selectbox("All of one student's drawings", students, key=K + "who", index=None,
                           placeholder="pick a student")
        if st.button("Delete this student's drawings", icon=":material/delete_sweep:", key=K + "delete_student",
                     disabled=who is None):
            n = store.delete_student(who, session_id)
            st.toast(f"{n} drawing(s) deleted.", icon=":material/check:")
            st.rerun()
    with c[2].container(border=True):
        pred = current_predictor()
        st.markdown("**Read them again**")
        if pred is None:
            st.caption("Pick a model in the sidebar.")
            return
        st.caption(f"Every drawing of this session read by **{pred.card['title']}** (the sidebar's model), "
                   f"e.g. the one the class just taught.")
        if st.button("Re-read every drawing", icon=":material/autorenew:", key=K + "reread", disabled=not rows):
            r = wall.reread(store, pred, pred.bundle.name, pred.classes, rows)
            st.session_state[K + "reread_result"] = (pred.bundle.name, r)
        last = st.session_state.get(K + "reread_result")
        if last and last[1]["n"]:
            name, r = last
            st.metric(f"Accuracy on {r['n']} drawings, read by {name}", f"{r['after']:.1%}",
                      f"{(r['after'] - r['before']) * 100:+.1f} points (was {r['before']:.1%})")
