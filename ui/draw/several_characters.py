"""The Draw page's "Write several characters" mode: a wide canvas where a student writes a number or a word;
the ink is split into characters (core.insight.segment), each read like a single drawing, and the page shows
the pieces in boxes with their answers and the string read."""
from __future__ import annotations

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from core import registry
from core.insight.lookalikes import note
from core.insight.reading import Reading, read
from core.model.pictures import pixels

WIDTH, HEIGHT = 840, 280
# On a screen narrower than the canvas, the canvas's frame is drawn smaller (a CSS scale; the browser maps touches
# and clicks through it, and the drawing keeps its 840x280 pixels); its box shrinks with it, so nothing scrolls
# sideways and no empty band is left under it. One step per screen width: the scale that fits its narrowest.
_STEPS = [(900, 0.75), (700, 0.6), (560, 0.5), (440, 0.42), (360, 0.36)]
NARROW_CSS = "<style>" + "".join(
    f"@media (max-width: {w}px) {{ .st-key-wide_canvas {{ overflow: hidden; }} "
    f".st-key-wide_canvas > * {{ width: {WIDTH}px !important; max-width: none !important; transform: scale({s}); "
    f"transform-origin: 0 0; margin-bottom: -{HEIGHT * (1 - s):.0f}px; }} }}"
    for w, s in _STEPS) + "</style>"
BOX = (252, 196, 25)  # amber boxes over white ink


def several_characters_mode() -> bool:
    """The switch between one character and several (its state is kept per session)."""
    return st.toggle("Write several characters", key="several_characters", help="A wide canvas for a number or a "
                     "word: the drawing is split into characters from its ink, and each is read.")


def boxes_picture(picture: np.ndarray, reading: Reading) -> Image.Image:
    """The picture with each piece's box and its answer drawn over it."""
    im = Image.fromarray(np.asarray(picture)[..., :3].astype(np.uint8)).convert("RGB")
    pen = ImageDraw.Draw(im)
    # Sized to the picture: an 840 px canvas is shown about 360 px wide on a phone, where 16 px labels were 7 px.
    font, line = max(16, im.width // 24), max(3, im.width // 280)
    for c in reading.characters:
        x0, y0, x1, y1 = c.box
        pen.rectangle([x0 - 4, y0 - 4, x1 + 4, y1 + 4], outline=BOX, width=line)
        pen.text((x0, max(0, y0 - font - 4)), f"{c.label} {c.confidence:.0%}", fill=BOX, font_size=font)
    return im


def show_reading(pred: registry.Predictor, picture: np.ndarray, key: str) -> None:
    """What `pred` reads in a picture of several characters: boxes, the string, each piece as the model sees it."""
    r = read(pred, picture)
    if not r.characters:
        st.info(f"Write a number or a word on the wide canvas, characters side by side, a little space between "
                f"them. {pred.card['title']} reads each one.")
        return
    st.image(boxes_picture(picture, r), caption="The pieces found in the ink, each with its answer", width="stretch",
             alt="The writing with a box around each piece found: " + ", ".join(c.label for c in r.characters))
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
    width = st.slider("Pen width", 6, 40, 18, key="wide_pen_width")
    st.html(NARROW_CSS)
    with st.container(key="wide_canvas"):
        canvas = ink_canvas(WIDTH, HEIGHT, width, key=f"wide-canvas-{st.session_state.wide_round}")
    if st.button("Clear", icon=":material/ink_eraser:", key="wide-clear"):
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
