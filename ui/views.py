"""Pictures and plots used on several pages."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image


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
    top = int(probs.argmax())
    colors = ["#d6336c" if i == top else "#adb5bd" for i in range(len(classes))]
    fig = go.Figure(go.Bar(x=[str(c) for c in classes], y=probs, marker_color=colors,
                           hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(range=[0, 1], tickformat=".0%"),
                      xaxis=dict(type="category"), showlegend=False)
    return fig


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
        if prepared.warning:
            st.warning(prepared.warning)
        elif top[0][1] < 0.6:
            st.warning("The model is unsure about this one.")
        if prepared.inverted:
            st.caption("Dark ink on light paper was inverted to white on black.")
    st.plotly_chart(probability_bars(pred.classes, probs), key=f"bars-{key}", config={"displayModeBar": False})
