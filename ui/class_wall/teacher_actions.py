"""The Class page's teacher actions on the room shown: start a new class session (the old one is archived,
still selectable), allow shared nicknames, delete one drawing or all of one student's (each asks first, then says
what went), and re-read every drawing with the picked model. The page shows them to the room's owner only
(ui/rooms.py owns)."""
from __future__ import annotations

import streamlit as st

from typing import Optional

from core.classroom import rooms, wall
from core.classroom.store import ClassStoreError, Store
from ui.class_wall import PICKED_KEY, SELECTED_KEY, TEACHER_KEY_PREFIX
from ui.state import current_predictor

K = TEACHER_KEY_PREFIX
ASKED = K + "asked"  # the deletion waiting for its "Yes, delete it": ("one", drawing id) or ("student", nickname)
SAID = K + "said"  # what the last action did, said (st.toast) by the run after its st.rerun


def _say_later(text: str) -> None:
    st.session_state[SAID] = text
    st.rerun()


def teacher_actions(store: Store, session_id: int, room_id: Optional[int] = None) -> None:
    said = st.session_state.pop(SAID, None)
    if said:
        st.toast(said, icon=":material/check:")
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
            old = store.current_session(room_id)
            n = store.count(old["id"])
            s = store.new_session(name, room_id=room_id)
            st.session_state.pop(PICKED_KEY, None)  # the wall follows the new session
            _say_later(f"{s['name']} started; {old['name']} archived with {n} drawing{'s' * (n != 1)}.")
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
            st.session_state[ASKED] = ("one", one)
        if _confirmed(("one", one), f"Delete drawing {labels.get(one)}? It cannot be undone."):
            if store.delete(one):
                if st.session_state.get(SELECTED_KEY) == one:
                    st.session_state.pop(SELECTED_KEY)
                _say_later(f"Drawing {labels[one]} deleted.")
            _say_later(f"Drawing #{one} was already gone.")
        students = sorted({d.student for d in rows})
        who = st.selectbox("All of one student's drawings", students, key=K + "who", index=None,
                           placeholder="pick a student")
        if st.button("Delete this student's drawings", icon=":material/delete_sweep:", key=K + "delete_student",
                     disabled=who is None):
            st.session_state[ASKED] = ("student", who)
        mine = sum(d.student == who for d in rows)
        if _confirmed(("student", who), f"Delete all {mine} of {who}'s drawings in this session? It cannot be undone."):
            n = store.delete_student(who, session_id)
            _say_later(f"{n} drawing{'s' * (n != 1)} of {who} deleted.")
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


def _confirmed(what: tuple, question: str) -> bool:
    """The second step of a deletion: the question under its button, True once "Yes, delete it" is pressed;
    "Keep it" (or another pick) drops the question."""
    if st.session_state.get(ASKED) != what or what[1] is None:
        return False
    with st.container(border=True):
        st.warning(question, icon=":material/warning:")
        with st.container(horizontal=True):
            yes = st.button("Yes, delete it", type="primary", key=K + "yes")
            no = st.button("Keep it", key=K + "no")
    if yes or no:
        st.session_state.pop(ASKED, None)
    if no:
        st.rerun()
    return yes
