"""The Draw page's other ways to give the model a character than drawing it: "Try a sample" (a real handwritten
held-out example of the class picked beside it, core/datasets/samples.py) and the upload of a photo or scan.
Both work by keyboard, and both land where a drawing would: the page answers, explains and sends them with the
very elements a drawing uses (the canvas shows the sample; one "Send to the class").

The latest choice wins: a sample or an upload is read while the canvas has no ink; a stroke, Clear or a send
puts it away (`forget`)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
from PIL import Image

from core.datasets import samples
from core.errors import BadImage
from core.model.preprocess import MAX_UPLOAD_BYTES, Prepared, prepare, read_upload
from ui.draw.several_characters import several_characters_hint

SOURCE = "draw_source"  # "sample" or "upload": what the page reads while the canvas is empty (absent: nothing)
SAMPLE_CLASS = "draw_sample_class"
SAMPLE_TURN = "draw_sample_turn"  # how many samples were tried: each press shows the class's next example
UPLOAD = "draw_upload"
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"]


@dataclass
class OtherInput:
    prepared: Prepared
    picture: np.ndarray  # RGBA, what a thumbnail of it shows (the class wall's card)


def forget() -> None:
    st.session_state.pop(SOURCE, None)


def _chose(source: str, clear) -> None:
    st.session_state[SOURCE] = source
    if source == "sample":
        st.session_state[SAMPLE_TURN] = st.session_state.get(SAMPLE_TURN, -1) + 1
    clear(keep_source=True)  # a fresh canvas: a stroke left from before would win over the choice


def sample_picker(pred, clear) -> None:
    """A class to pick and "Try a sample" (nothing when no example is shipped for the model's classes)."""
    shipped = samples.for_model(pred.card.get("dataset", ""), pred.classes)
    if shipped is None:
        return
    with st.container(horizontal=True, vertical_alignment="bottom", key="draw_sample"):
        # The label is said to screen readers, not shown: "Try a sample" beside it says what the pick is for,
        # and on a phone the row's height keeps "Send to the class" on screen (tests/e2e/test_e2e_canvas.py).
        st.selectbox("Sample of", shipped.labels(), key=SAMPLE_CLASS, width=110, label_visibility="collapsed",
                     help="A real handwritten example of this class from the held-out test data.")
        st.button("Try a sample", icon=":material/ink_pen:", on_click=_chose, args=("sample", clear))


def _shown_sample(pred) -> tuple[np.ndarray, str] | None:
    """The sample tried last ((28, 28) uint8, and its label), while the page reads it."""
    shipped = samples.for_model(pred.card.get("dataset", ""), pred.classes)
    label = st.session_state.get(SAMPLE_CLASS)
    if st.session_state.get(SOURCE) != "sample" or shipped is None or label not in shipped.classes:
        return None
    return shipped.pick(label, st.session_state.get(SAMPLE_TURN, 0)), f"{label} ({shipped.dataset})"


def canvas_background(pred, size: int) -> Image.Image | None:
    """The sample tried last, as large as the canvas (white ink on black like a drawing), else None."""
    shown = _shown_sample(pred)
    return None if shown is None else Image.fromarray(shown[0], "L").convert("RGBA").resize((size, size), Image.BILINEAR)


def sample_note(pred) -> None:
    shown = _shown_sample(pred)
    if shown is not None:
        st.caption(f"On the canvas: a handwritten {shown[1]} from the held-out test data. Draw over it to change "
                   "it, or Clear.")


def over_background(strokes: np.ndarray | None, background: Image.Image | None) -> np.ndarray | None:
    """What the canvas shows as one RGBA picture: the strokes (RGBA, transparent where not drawn) over the sample.
    The page reads and sends this, so a sample is read exactly as a drawing of it would be."""
    if background is None:
        return strokes
    bg = background.convert("RGBA")
    if strokes is None or strokes.shape != (bg.height, bg.width, 4):
        return np.asarray(bg)
    return np.asarray(Image.alpha_composite(bg, Image.fromarray(np.ascontiguousarray(strokes, np.uint8), "RGBA")))


def _read_upload(pred) -> tuple[OtherInput | None, tuple[str, str] | None]:
    """The uploaded picture as the model's input, or (None, (st.error or st.warning, the sentence that says why
    not)); (None, None) without one."""
    up = st.session_state.get(UPLOAD)
    if up is None:
        return None, None
    try:
        picture = read_upload(up)  # its size checked by the server before it is read
        prepared = prepare(picture, pred.style)
    except BadImage as exc:
        return None, ("error", str(exc))
    if prepared.x is None:
        return None, ("warning", "No ink found in that picture: is it blank?")
    return OtherInput(prepared, picture), None


def pending(pred) -> OtherInput | None:
    """The upload the page reads while the canvas is empty, else None (a sample is on the canvas itself)."""
    return _read_upload(pred)[0] if st.session_state.get(SOURCE) == "upload" else None


def upload_box(pred, clear) -> None:
    """The upload (Tab reaches its "Browse files" button; Enter or Space opens the file chooser). Its picture is
    read in the answer beside the canvas; a picture that cannot be read is said here in one sentence."""
    with st.expander(":material/photo_camera: Or upload a photo or scan of one handwritten character"):
        st.file_uploader("Picture (PNG, JPEG, GIF, BMP, WebP, TIFF)", max_upload_size=MAX_UPLOAD_BYTES // 2**20,
                         type=UPLOAD_TYPES, key=UPLOAD, on_change=_chose, args=("upload", clear))
        read, problem = _read_upload(pred)
        if problem is not None:
            getattr(st, problem[0])(problem[1])
        elif read is not None and st.session_state.get(SOURCE) == "upload":
            st.caption(":material/arrow_upward: Read in the answer above, as if drawn: send it with "
                       "Send to the class.")
            several_characters_hint(pred, read.picture, "upload")  # "205" read as one digit: say so, read each
