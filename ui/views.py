"""Pictures and plots used on several pages."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from core.insight.lookalikes import note as lookalike_note


def pixels(x28: np.ndarray, scale: int = 8, grid: bool = True) -> Image.Image:
    """The 28x28 input enlarged, each pixel a visible square (thin grid lines between them)."""
    a = np.clip(np.asarray(x28, np.float32).reshape(28, 28), 0, 1)
    big = np.kron((a * 255).astype(np.uint8), np.ones((scale, scale), np.uint8))
    if grid:
        big[::scale, :] = np.maximum(big[::scale, :], 40)
        big[:, ::scale] = np.maximum(big[:, ::scale], 40)
    return Image.fromarray(big, "L")


def probability_bars(classes: list[str], probs: np.ndarray, height: int = 260) -> go.Figure:
    probs = np.asarray(probs, float)
    top = int(probs.argmax()) if probs.max() > 0 else -1  # all zero (nothing drawn yet): no winner
    colors = ["#d6336c" if i == top else "#adb5bd" for i in range(len(classes))]
    fig = go.Figure(go.Bar(x=[str(c) for c in classes], y=probs, marker_color=colors,
                           hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(range=[0, 1], tickformat=".0%"),
                      xaxis=dict(type="category"), showlegend=False)
    return fig


def show_bars(classes: list[str], probs: np.ndarray, key: str) -> None:
    st.plotly_chart(probability_bars(classes, probs), key=f"bars-{key}", config={"displayModeBar": False})


def show_waiting(classes: list[str], invitation: str, key: str) -> None:
    """Before anything is drawn: the places a prediction will take (a blank 28x28 grid, the classes the model
    knows, bars at zero), so the page does not jump at the first answer. It also has the browser load its
    code for these elements with the page: in a fresh page that code otherwise held up the first answer by
    about half a second (benchmarks/browser_latency.py)."""
    c1, c2 = st.columns([1, 1])
    with c1:
        st.image(pixels(np.zeros((28, 28), np.float32)), caption="What the model sees (28×28)", width=224)
    with c2:
        st.info(invitation)
        st.metric("Classes", len(classes), help="The model answers with one of these: " + ", ".join(classes))
    show_bars(classes, np.zeros(len(classes)), key)


def show_lookalikes(top: list[tuple[str, float]]) -> None:
    """'0 or O: to this model they look the same' when the top answers are look-alikes."""
    said = lookalike_note(top)
    if said:
        st.info(said, icon=":material/visibility:")


def show_prediction(pred, prepared, key: str) -> None:
    """What the model sees, its answer and the probabilities of every class, for one input."""
    if prepared.x is None:
        st.info("✏️ Draw a digit or a letter on the canvas, and the model will tell you what it sees.")
        return
    probs = pred(prepared.x)[0]
    top = pred.top(probs, 3)
    c1, c2 = st.columns([1, 1])
    with c1:
        st.image(pixels(prepared.x), caption="What the model sees (28×28)", width=224)
    with c2:
        st.metric("Prediction", top[0][0], f"{top[0][1]:.1%} confidence", delta_color="off", delta_arrow="off")
        st.caption("Runner-up: " + ", ".join(f"{c} ({p:.1%})" for c, p in top[1:]))
        show_lookalikes(top)
        if prepared.warning:
            st.warning(prepared.warning)
        elif top[0][1] < 0.6:
            st.warning("The model is unsure about this one.")
        if prepared.inverted:
            st.caption("Dark ink on light paper was inverted to white on black.")
    show_bars(pred.classes, probs, key)
