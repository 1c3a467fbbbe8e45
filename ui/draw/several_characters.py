"""The Draw page's "Write several characters" mode: a wide canvas where a student writes a number or a word;
the ink is split into characters (core.insight.segment), each read like a single drawing, and the page shows
the pieces in boxes with their answers and the string read."""
from __future__ import annotations

import html

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from core import registry
from core.insight.lookalikes import note
from core.insight.reading import Reading, read
from core.model.pictures import pixels
from ui.insight.feature_map import data_uri

# 2.2:1, not 3:1: on a 390 px phone the canvas is drawn 353x160 px, tall enough to write a word in with a finger
# (840x280 was 353x118); on a 1366x768 laptop the canvas and, in one row under it, Clear and Pen width fit the screen.
WIDTH, HEIGHT = 840, 380
# On a screen narrower than the canvas, the canvas's frame is drawn smaller (a CSS scale; the browser maps touches
# and clicks through it, and the drawing keeps its 840x380 pixels); its box shrinks with it, so nothing scrolls
# sideways and no empty band is left under it. One step per screen width: the scale that fits its narrowest.
_STEPS = [(900, 0.75), (700, 0.6), (560, 0.5), (440, 0.42), (360, 0.36)]
NARROW_CSS = "<style>" + "".join(
    f"@media (max-width: {w}px) {{ .st-key-wide_canvas {{ overflow: hidden; }} "
    f".st-key-wide_canvas > * {{ width: {WIDTH}px !important; max-width: none !important; transform: scale({s}); "
    f"transform-origin: 0 0; margin-bottom: -{HEIGHT * (1 - s):.0f}px; }} }}"
    for w, s in _STEPS) + "</style>"
BOX = (252, 196, 25)  # amber boxes over white ink
# The answers over the boxes are text in the page, not pixels of the picture: a picture is shown at any width (an
# 840 px canvas about 355 px wide on a phone, where labels drawn into it were 5 px tall), a label keeps its size.
LABEL_CSS = ("position:absolute; transform:translateY(-100%); padding:0 0.3em; border-radius:0.25rem; "
             "background:rgba(0,0,0,0.75); color:#fcc419; font:600 1rem/1.3 ui-monospace, monospace; "
             "white-space:nowrap")


def several_characters_mode() -> bool:
    """The switch between one character and several (its state is kept per session)."""
    return st.toggle("Write several characters", key="several_characters", help="A wide canvas for a number or a "
                     "word: the drawing is split into characters from its ink, and each is read.")


def boxes_picture(picture: np.ndarray, reading: Reading) -> Image.Image:
    """The picture with each piece's box drawn over it (the answers go over it as text: `boxes_figure`)."""
    im = Image.fromarray(np.asarray(picture)[..., :3].astype(np.uint8)).convert("RGB")
    pen = ImageDraw.Draw(im)
    line = max(3, im.width // 280)  # lines scale with the picture, like the ink
    for c in reading.characters:
        x0, y0, x1, y1 = c.box
        pen.rectangle([x0 - 4, y0 - 4, x1 + 4, y1 + 4], outline=BOX, width=line)
    return im


def boxes_figure(picture: np.ndarray, reading: Reading, caption: str) -> str:
    """The boxes picture as HTML, as wide as its column, each answer ("7 98%") a label in CSS pixels at its box's
    top left corner (under the box's top where there is no room above it). The picture's alt text says the answers,
    so the labels are hidden from screen readers."""
    im = boxes_picture(picture, reading)
    w, h = im.size
    labels = []
    for c in reading.characters:
        x0, y0, _, y1 = c.box
        above = y0 - 4 > 0.12 * h  # the label's height, about, on a phone
        top = (y0 - 4) / h if above else min(y0 + 4, y1) / h
        shift = "" if above else "transform:none; "
        labels.append(f'<span style="{LABEL_CSS}; {shift}left:{100 * max(x0 - 4, 0) / w:.2f}%; '
                      f'top:{100 * top:.2f}%">{html.escape(c.label)} {c.confidence:.0%}</span>')
    found = ", ".join(c.label for c in reading.characters)
    alt = html.escape(f"The writing with a box around each piece found: {found}", quote=True)
    return (f'<figure class="hw-boxes" style="margin:0"><div style="position:relative; line-height:0">'
            f'<img src="{data_uri(im)}" alt="{alt}" style="width:100%; height:auto; display:block">'
            f'<div aria-hidden="true">{"".join(labels)}</div></div>'
            f'<figcaption style="font-size:0.875rem; opacity:0.6; margin-top:0.25rem">{html.escape(caption)}'
            f'</figcaption></figure>')


def show_reading(pred: registry.Predictor, picture: np.ndarray, key: str) -> None:
    """What `pred` reads in a picture of several characters: boxes, the string, each piece as the model sees it."""
    r = read(pred, picture)
    if not r.characters:
        st.info(f"Write a number or a word on the wide canvas, characters side by side, a little space between "
                f"them. {pred.card['title']} reads each one.")
        return
    st.html(boxes_figure(picture, r, "The pieces found in the ink, each with its answer"))
    st.metric("Read", r.text, f"{len(r.characters)} characters", delta_color="off", delta_arrow="off")
    cols = st.columns(max(len(r.characters), 4))
    for col, c in zip(cols, r.characters):
        with col:
            st.image(pixels(c.piece.prepared.x, scale=3), width=84, alt=f"A piece, read as {c.label}")
            st.markdown(f"**{c.label}** · {c.confidence:.0%}")
            st.caption("then " + ", ".join(f"{lab} ({p:.0%})" for lab, p in c.top[1:]))
            if c.lookalikes:
                st.caption(f":material/visibility: {note(c.top)}")
    st.caption("Characters that touch are read as one piece: leave a little space between them.")


def show_several_characters(pred: registry.Predictor) -> None:
    """The wide canvas and what the model reads on it."""
    from ui.draw.ink_canvas import ink_canvas

    st.session_state.setdefault("wide_round", 0)
    st.html(NARROW_CSS)
    with st.container(key="wide_canvas"):
        canvas = ink_canvas(WIDTH, HEIGHT, st.session_state.get("wide_pen_width", 18),
                            key=f"wide-canvas-{st.session_state.wide_round}")
    with st.container(horizontal=True, vertical_alignment="bottom"):  # under the canvas, as the single one's:
        clear = st.button("Clear", icon=":material/ink_eraser:", key="wide-clear")  # on a laptop's screen with it
        st.slider("Pen width", 6, 40, 18, key="wide_pen_width")
    if clear:
        st.session_state.wide_round += 1
        st.rerun()
    if canvas.image_data is not None:
        show_reading(pred, canvas.image_data, "wide")
    else:
        show_reading(pred, np.zeros((HEIGHT, WIDTH, 4), np.uint8), "wide")


def several_characters_hint(pred: registry.Predictor, picture: np.ndarray, key: str) -> None:
    """Under an uploaded picture's answer: when its ink splits into several characters ("205"), say that it was
    read as one, and offer to read each of them (as "Write several characters" does)."""
    from core.insight.segment import split

    n = len(split(picture, pred.style))
    if n > 1 and st.toggle(f"This picture seems to hold {n} characters, read above as one: read each of them",
                           key=f"{key}-several"):
        show_reading(pred, picture, key)
