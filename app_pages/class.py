"""Class page (/class): the class wall, what the projector shows. A live grid of the class's drawings (refreshed
every 2 s without a full page rerun), filters, sorting, counters, a confusion matrix, the "Fool the model" game;
a click explains a drawing with the Draw page's view. The teacher starts new sessions, deletes drawings and has
the wall re-read every drawing with another model. /class?room=CODE is that room's wall, with its join code in
large type and as a QR code (ui/rooms.py); a teacher opens a room here ("Room name", "Open a room")."""
from datetime import datetime

import plotly.graph_objects as go
import streamlit as st

from core.classroom import wall
from core.classroom.store import ClassStoreError, open_store
from core.errors import HWLabError
from ui import rooms as class_rooms
from ui import teacher_lock
from ui.chart_text import matrix_table
from ui.insight.explain import explain_input
from ui.state import current_predictor, page_frame, predictor
from ui.turns import wall_refresh
from ui.class_wall import KEY_PREFIX, PICKED_KEY, SELECTED_KEY, SESSION_KEY
from ui.class_wall.grid import card, wall_grid

page_frame()
REFRESH_S = 2.0
SHOWN = 32  # cards on the wall at most (the newest, or the first in the chosen order)
CONFUSION_REFRESH_S = 10.0
K = KEY_PREFIX
SELECTED = SELECTED_KEY

st.title(":material/groups: Class wall")
try:
    store = open_store()
    room = class_rooms.current_room(store)  # None: the default room, the class as before rooms
    class_rooms.open_form(store)
    if room is not None:
        class_rooms.join_panel(room)
    room_id = room.id if room else None
    sessions = store.sessions(room_id)
except ClassStoreError as exc:
    st.error(str(exc))
    st.stop()


def _session_label(s: dict) -> str:
    when = datetime.fromtimestamp(s["started"]).strftime("%d %b %H:%M")
    return f"{s['name']} · {when} · {s['drawings']} drawings" + (" (archived)" if s["archived"] else " (now)")


def _picked(sessions: list[dict]) -> None:
    """The teacher's pick, kept apart from the picker's state (which a visit to another page drops, and which a
    label whose count changed no longer matches): the current session is no pick, the wall then follows it."""
    sid = st.session_state.get(SESSION_KEY)
    st.session_state[PICKED_KEY] = sid if sessions and sid != sessions[0]["id"] else None


def _shown_session(sessions: list[dict]) -> int | None:
    """The session the wall shows: the one picked while it exists (not another room's, nor one deleted by
    `class clear`), else the room's newest."""
    ids = [s["id"] for s in sessions]
    picked = st.session_state.get(PICKED_KEY)
    return picked if picked in ids else (ids[0] if ids else None)


session_id = _shown_session(sessions)  # this run's: the explanation and the confusion matrix show it


def _confusion(rows) -> go.Figure:
    labels, m = wall.confusion(rows)
    fig = go.Figure(go.Heatmap(z=m, x=labels, y=labels, colorscale="Blues", showscale=False,
                               hovertemplate="meant %{y}, read %{x}: %{z}<extra></extra>",
                               text=m, texttemplate="%{text}"))
    fig.update_layout(height=120 + 28 * len(labels), margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(title="read by the model", type="category"),
                      yaxis=dict(title="meant", type="category", autorange="reversed"))
    return fig


@st.fragment(run_every=REFRESH_S)
def live_wall() -> None:
    with wall_refresh():  # new drawing runs wait for it: the projector goes first (ui/turns.py)
        _live_wall()


def _controls(sessions: list[dict]) -> tuple:
    """The picker (its counts read again every refresh) and the switches; a visit to another page keeps them
    (persist_state). The order sits with the other choices of what is shown (Label, Student): beside the
    switches it took a line of its own on a laptop (1366 px)."""
    by_id = {s["id"]: s for s in sessions}
    st.session_state[SESSION_KEY] = _shown_session(sessions)  # before the picker: the pick, whatever its label says
    with st.container(horizontal=True, wrap=True, vertical_alignment="bottom", gap="medium"):  # wraps, never cuts
        picked = st.selectbox("Class session", list(by_id), format_func=lambda i: _session_label(by_id[i]),
                              key=SESSION_KEY, width=340, on_change=_picked, args=(sessions,))
        misread = st.toggle("Misread only", key=K + "misread", persist_state="session")
        low = st.toggle(f"Low confidence (< {wall.LOW_CONFIDENCE:.0%})", key=K + "low", persist_state="session")
        fools = st.toggle("Fool the model", key=K + "fools", persist_state="session",
                          help="Draw something you would read as one character that the model reads as another. "
                               "The wall highlights the successful fools.")
    return picked, misread, low, fools


def _live_wall() -> None:
    try:
        sessions = store.sessions(room_id)  # afresh each refresh: the picker counts what the wall shows
        picked, misread, low, fool_game = _controls(sessions)
        if picked != session_id:  # another session picked, or a new one started elsewhere: the whole page follows
            st.rerun()
        rows = wall.live_rows(store, session_id)
    except ClassStoreError as exc:
        st.error(str(exc))
        return
    c = wall.counters(rows)
    with st.container(horizontal=True, wrap=True, vertical_alignment="bottom"):  # one block, not st.columns
        label = st.selectbox("Label", ["(all)"] + sorted({d.label for d in rows}), key=K + "label", width=200,
                             persist_state="session")
        student = st.selectbox("Student", ["(all)"] + sorted({d.student for d in rows}), key=K + "student",
                               width=200, persist_state="session")
        order = st.radio("Sort", ["newest", "mistakes"], horizontal=True, key=K + "order", persist_state="session",
                         format_func={"newest": "Newest", "mistakes": "Confident mistakes first"}.get)
    shown = wall.ordered(wall.filtered(rows, misread, low, None if label == "(all)" else label,
                                       None if student == "(all)" else student), order)
    if not rows:
        st.info("No drawings in this session yet: on the Draw page, type your name, draw, and press "
                "Send to the class.", icon=":material/draw:")
    # The counters, the note and the cards are one element (ui/class_wall/grid.py): this redraws every 2 s.
    counters = [("Drawings", str(c["drawings"])), ("Students", str(c["students"])),
                ("Model's accuracy on them", "–" if c["accuracy"] is None else f"{c['accuracy']:.1%}"),
                ("Successful fools", str(c["fools"]))]
    note = f"Showing {min(len(shown), SHOWN)} of {len(shown)} matching drawings; refreshed every {REFRESH_S:.0f} s."
    picked = wall_grid(counters, note, [card(d, fool_game and wall.is_fool(d)) for d in shown[:SHOWN]],
                       key=K + "grid")
    if picked is not None:  # a click on a card: its explanation is below the wall, so the whole page reruns
        st.session_state[SELECTED] = picked
        st.rerun()


@st.fragment(run_every=CONFUSION_REFRESH_S)
def live_confusion() -> None:
    """Refreshed less often than the grid: a plot costs more to send than the cards."""
    try:
        rows = wall.live_rows(store, session_id)
    except ClassStoreError:
        return  # the grid above says so
    if rows:
        with st.expander("Confusion matrix of the class's drawings", icon=":material/grid_on:"):
            st.plotly_chart(_confusion(rows), key=K + "confusion", config={"displayModeBar": False})
            labels, m = wall.confusion(rows)
            matrix_table(m, labels, K + "confusion", rows="meant", columns="read")


live_wall()
live_confusion()

# ---------------------------------------------------------------- one drawing explained
chosen = st.session_state.get(SELECTED)
if chosen:
    d = next((d for d in wall.live_rows(store, session_id) if d.id == chosen), None)  # the wall's, kept
    if d is not None:
        st.subheader(f"Drawing {d.id}: meant {d.label}, read {d.prediction} ({d.confidence:.0%})")
        st.text(f"by {d.student}, read by {d.model}")
        try:
            pred = predictor(d.model)
        except HWLabError:
            pred = current_predictor()
            st.caption("Its model is not in the models folder any more: explained with the picked model.")
        if pred is not None and d.label in pred.classes:
            explain_input(pred, d.x(), key=f"class-{d.id}", true_label=d.label)

# ---------------------------------------------------------------- the teacher's actions
st.divider()
st.subheader(":material/school: Teacher")
if teacher_lock.gate("manages the class session and deletes drawings"):
    from ui.class_wall.teacher_actions import teacher_actions

    if class_rooms.owns(room, store):
        teacher_actions(store, session_id, room_id)
    else:
        st.info("Only the teacher who opened this room starts its sessions, deletes its drawings and trains on it.",
                icon=":material/lock:")
