"""Pictures and plots used on several pages."""
from __future__ import annotations

import functools
import io

import numpy as np
import streamlit as st

from core.insight.lookalikes import note as lookalike_note
from core.model.pictures import pixels
from ui.draw.announce import announce, input_id, sentence
from ui.charts import probability_bars


def show_bars(classes: list[str], probs: np.ndarray, key: str, big: bool = False) -> None:
    spec = probability_bars(classes, probs, height=400, font_size=30) if big else probability_bars(classes, probs, 180)
    st.vega_lite_chart(spec, key=f"bars-{key}", width="stretch")


VIEW_CAPTION = "What the model sees (28×28)"


def _answer_row(key: str, x28: np.ndarray | None, big: bool, alt: str):
    """The verdict (returned, to fill) with the 28x28 view beside it (blank when x28 is None; `alt`: what it
    shows, for a screen reader); the pair wraps on a narrow screen."""
    scale = 6 if big else 4
    with st.container(horizontal=True, wrap=True, key=f"answer_{key}"):
        verdict = st.container(key=f"verdict_{key}")
        st.image(_blank_png(scale) if x28 is None else pixels(x28, scale=scale), caption=VIEW_CAPTION,
                 width=28 * scale, alt=alt)
    return verdict


@functools.cache
def _blank_png(scale: int) -> bytes:
    """The empty 28x28 view, encoded once: every Clear and every send redraws it."""
    buf = io.BytesIO()
    pixels(np.zeros((28, 28), np.float32), scale=scale).save(buf, format="PNG")
    return buf.getvalue()


PLACEHOLDER = "–"  # the verdict before anything is drawn: not an answer (no letter, no digit)


def show_waiting(classes: list[str], invitation: str, key: str, big: bool = False) -> None:
    """Before anything is drawn: the "Prediction" verdict holding a dash, the invitation, a blank 28x28 grid and
    bars at zero, so that the page hardly moves at the first answer and the answer lands in the very element
    that was waiting for it (a browser watching that element sees it at once, not at its next look:
    benchmarks/browser_latency.py). It also has the browser load its code for these elements with the page: in a
    fresh page that code otherwise held up the first answer by about half a second."""
    announce("", key)  # the live region is there before the first answer: a reader then hears that answer
    with _answer_row(key, None, big, "The model's 28 by 28 view, empty: nothing is drawn yet."):
        st.metric("Prediction", PLACEHOLDER)
        st.info(invitation)
        st.caption("The model answers with one of: " + ", ".join(classes[:40]) + ("…" if len(classes) > 40 else ""))
    show_bars(classes, np.zeros(len(classes)), key, big)


def show_lookalikes(top: list[tuple[str, float]]) -> None:
    """'0 or O: to this model they look the same' when the top answers are look-alikes."""
    said = lookalike_note(top)
    if said:
        st.info(said, icon=":material/visibility:")


def show_prediction(pred, prepared, key: str, big: bool = False, probs: np.ndarray | None = None) -> None:
    """What the model sees, its answer and the probabilities of every class, for one input (`probs`: the
    model's output for it, when the page already has it)."""
    if prepared.x is None:
        st.info("Draw a digit or a letter on the canvas, and the model will tell you what it sees.",
                icon=":material/draw:")
        return
    probs = pred(prepared.x)[0] if probs is None else probs
    top = pred.top(probs, 3)
    announce(sentence(top), key, input_id(prepared.x))
    with _answer_row(key, prepared.x, big, f"The model's 28 by 28 view of the input, read as {top[0][0]}."):
        st.metric("Prediction", top[0][0], f"{top[0][1]:.1%} confidence", delta_color="off", delta_arrow="off")
        st.caption("Runner-up: " + ", ".join(f"{c} ({p:.1%})" for c, p in top[1:]))
        show_lookalikes(top)
        if prepared.warning:
            st.warning(prepared.warning)
        elif top[0][1] < 0.6:
            st.warning("The model is unsure about this one.")
        if prepared.inverted:
            st.caption("Dark ink on light paper was inverted to white on black.")
    show_bars(pred.classes, probs, key, big)
