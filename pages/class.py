"""Class page (/class): the class wall, what the projector shows. A live grid of the class's drawings (refreshed
every 2 s without a full page rerun), filters, sorting, counters, a confusion matrix, the "Fool the model" game;
a click explains a drawing with the Draw page's view. The teacher starts new sessions, deletes drawings and has
the wall re-read every drawing with another model."""
import functools
import io
from datetime import datetime

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core.classroom import wall
from core.classroom.store import ClassStoreError, open_store
from core.errors import HWLabError
from ui import teacher_lock
from ui.explain_view import explain_input
from ui.state import current_predictor, page_frame, predictor
from ui.views import pixels

page_frame()
REFRESH_S = 2.0
SHOWN = 32  # cards on the wall at most (the newest, or the first in the chosen order)
COLUMNS = 8
CONFUSION_REFRESH_S = 10.0
K = "wall_"
SELECTED = K + "selected"

st.title(":material/groups: Class wall")
try:
    store = open_store()
    sessions = store.sessions()
except ClassStoreError as exc:
    st.error(str(exc))
    st.stop()


def _session_label(s: dict) -> str:
    when = datetime.fromtimestamp(s["started"]).strftime("%d %b %H:%M")
    return f"{s['name']} · {when} · {s['drawings']} drawings" + (" (archived)" if s["archived"] else " (now)")


by_id = {s["id"]: s for s in sessions}
top = st.columns([2, 1, 1, 1, 1.4], vertical_alignment="bottom")
session_id = top[0].selectbox("Class session", list(by_id), format_func=lambda i: _session_label(by_id[i]), key=K + "session")
misread = top[1].toggle("Misread only", key=K + "misread")
low = top[2].toggle(f"Low confidence (< {wall.LOW_CONFIDENCE:.0%})", key=K + "low")
fool_game = top[3].toggle("Fool the model", key=K + "fools",
                          help="Draw something you would read as one character that the model reads as another. "
                               "The wall highlights the successful fools.")
order = top[4].radio("Sort", ["newest", "mistakes"], horizontal=True, key=K + "order",
                     format_func={"newest": "Newest", "mistakes": "Confident mistakes first"}.get)


def _pick(drawing_id: int) -> None:
    st.session_state[SELECTED] = drawing_id


@functools.lru_cache(maxsize=4096)
def _card_png(drawing_id: int, created: float, input28: bytes) -> bytes:
    """A drawing's 28x28 input as the wall shows it, encoded once (the wall redraws every 2 s)."""
    buf = io.BytesIO()
    pixels(np.frombuffer(input28, np.uint8).reshape(28, 28) / 255.0, scale=4, grid=False).save(buf, format="PNG")
    return buf.getvalue()


def _card(d, highlight: bool) -> None:
    with st.container(border=True):
        st.image(_card_png(d.id, d.created, d.input28.tobytes()), width="stretch")
        st.text(d.student)  # a nickname is text, never HTML or Markdown
        mark = ":material/check:" if d.correct else ":material/close:"
        st.caption(f"{mark} meant **{d.label}** · read **{d.prediction}** {d.confidence:.0%} · "
                   f"{datetime.fromtimestamp(d.created).strftime('%H:%M:%S')}")
        if highlight:
            st.markdown(":orange-badge[:material/celebration: Fooled it!]")
        st.button("Explain", key=f"{K}explain-{d.id}", on_click=_pick, args=(d.id,), icon=":material/insights:")


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
    try:
        rows = store.drawings(session_id=session_id)
    except ClassStoreError as exc:
        st.error(str(exc))
        return
    c = wall.counters(rows)
    m = st.columns(4)
    m[0].metric("Drawings", c["drawings"])
    m[1].metric("Students", c["students"])
    m[2].metric("Model's accuracy on them", "–" if c["accuracy"] is None else f"{c['accuracy']:.1%}")
    m[3].metric("Successful fools", c["fools"])
    f = st.columns([1, 1, 2])
    label = f[0].selectbox("Label", ["(all)"] + sorted({d.label for d in rows}), key=K + "label")
    student = f[1].selectbox("Student", ["(all)"] + sorted({d.student for d in rows}), key=K + "student")
    shown = wall.ordered(wall.filtered(rows, misread, low, None if label == "(all)" else label,
                                       None if student == "(all)" else student), order)
    f[2].caption(f"Showing {min(len(shown), SHOWN)} of {len(shown)} matching drawings; "
                 f"refreshed every {REFRESH_S:.0f} s.")
    if not rows:
        st.info("No drawings in this session yet: on the Draw page, type your name, draw, and press "
                "Send to the class.", icon=":material/draw:")
    for start in range(0, min(len(shown), SHOWN), COLUMNS):
        cols = st.columns(COLUMNS)
        for col, d in zip(cols, shown[start:start + COLUMNS]):
            with col:
                _card(d, fool_game and wall.is_fool(d))


@st.fragment(run_every=CONFUSION_REFRESH_S)
def live_confusion() -> None:
    """Refreshed less often than the grid: a plot costs more to send than the cards."""
    try:
        rows = store.drawings(session_id=session_id)
    except ClassStoreError:
        return  # the grid above says so
    if rows:
        with st.expander("Confusion matrix of the class's drawings", icon=":material/grid_on:"):
            st.plotly_chart(_confusion(rows), key=K + "confusion", config={"displayModeBar": False})


live_wall()
live_confusion()

# ---------------------------------------------------------------- one drawing explained
chosen = st.session_state.get(SELECTED)
if chosen:
    d = next((d for d in store.drawings(session_id=session_id) if d.id == chosen), None)
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
    from ui.class_teacher import teacher_actions

    teacher_actions(store, session_id)
