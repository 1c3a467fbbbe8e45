"""The Draw page's layout, in one place: the canvas with the answer beside it where the screen is wide enough
and right under it where it is not (phones, a tablet with the sidebar open), the page's CSS, and the presenter
view (`?present=1` or the sidebar toggle): the answer in large type for the back of a room.

Streamlit gives a page no viewport size, so nothing here measures the screen: the canvas keeps a fixed pixel
size that fits a phone (280 px in a 358 px wide column), and a wrapping row lets the answer flow under it.
The canvas's pixel size never changes what the model sees: preprocess crops the ink and scales it to 28x28."""
from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

CANVAS_PX = 280            # the canvas in the drawn-input protocol (core/datasets/strokes.py), and it fits a phone
PRESENT_CANVAS_PX = 392    # presenter view: 1.4x, the pen width scaled alike so strokes look the same
PRESENT_KEY = "present"    # session state of the sidebar toggle; the query parameter has the same name
ANSWER_MIN_REM = 20        # narrower than this beside the canvas, and the answer goes under it
PRESENT_CAPTION_REM = 1.6  # presenter view: every caption around the answer (runner-up, 28x28 view, the model)

_CSS = """
<style>
/* Less empty space above the title: on a phone every pixel counts to keep the answer on screen. */
.stMainBlockContainer { padding-top: 3.5rem; }
.st-key-draw_title h1 { padding-top: 0; }
@media (max-width: 640px) { .st-key-draw_title h1 { font-size: 1.75rem; } }
/* A phone: draw, answer and send on one screen (390x844: tests/e2e/test_e2e_canvas.py). No title above the
   canvas, and under it the answer, then "Your name / Send to the class", then the bars (the answer area is a
   flex column: `order` moves them). Above the canvas only "Join a class", a lesson's first step: the model's
   line and "Write several characters" go under the drawing (after the page's other elements; the switch stays
   on top once it is on, as the wide canvas follows it). */
@media (max-width: 640px) {
  .stMainBlockContainer { padding-top: 3rem; }  /* under the sidebar's button (16-44 px) */
  .st-key-draw_title { display: none; }  /* the browser's tab names the app */
  .st-key-draw_row { row-gap: 0.5rem; }
  .st-key-draw_canvas, .st-key-draw_answer { gap: 0.4rem; }
  .st-key-class_send_box { padding: 0.6rem; }
  /* "Pen width" said to screen readers only (visually hidden, not display: none): its slider beside Clear
     explains itself, and the line it takes is what keeps "Send to the class" on a phone's screen. */
  .st-key-pen_width [data-testid="stWidgetLabel"] { position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap; }
  .st-key-draw_model [data-testid="stCaptionContainer"] p { font-size: 0.8rem; line-height: 1.3; }
  .st-key-draw_answer > div:has(> .st-key-answer_canvas) { order: -2; }
  .st-key-draw_answer > div:has(> .st-key-class_send_box) { order: -1; }
  .stMainBlockContainer:has(.st-key-draw_row) :is(div:has(> .st-key-draw_model), .st-key-several_characters) {
    order: 1; }
}
/* (Streamlit wraps each element in a div: that div is the flex item.)
   The answer takes the rest of the row, and wraps under the canvas when less than ANSWER_MIN is left. */
div:has(> .st-key-draw_answer) { flex: 1 1 ANSWER_MINrem; min-width: min(ANSWER_MINrem, 100%); }
div:has(> [class*="st-key-verdict_"]) { flex: 1 1 10rem; min-width: 9rem; max-width: 24rem; }
</style>
""".replace("ANSWER_MIN", str(ANSWER_MIN_REM))

# Presenter view: sizes readable from the back of a room (a 1920x1080 projector); the canvas stays usable.
_PRESENT_CSS = """
<style>
.st-key-verdict_canvas [data-testid="stMetricLabel"] p { font-size: 2.2rem; }
.st-key-verdict_canvas [data-testid="stMetricValue"] { font-size: 9rem; line-height: 1.05; }
.st-key-verdict_canvas [data-testid="stMetricDelta"] { font-size: 2.4rem; }
.st-key-verdict_canvas [data-testid="stCaptionContainer"] p { font-size: PRESENT_CAPTIONrem; }
/* The title stays (the page's one heading for a screen reader, and what tells a browser the page is there), small */
.st-key-draw_title h1 { font-size: 1.1rem; padding: 0; }
div:has(> .st-key-verdict_canvas) { max-width: 40rem; }
/* The captions around the answer ("What the model sees (28×28)", the model's line) read from the back too: as
   large as the runner-up line (a caption is 0.875rem elsewhere). */
.st-key-answer_canvas [data-testid="stImageCaption"], .st-key-answer_canvas [data-testid="stImageCaption"] *,
.st-key-draw_model [data-testid="stCaptionContainer"] p { font-size: PRESENT_CAPTIONrem; line-height: 1.3; }
</style>
""".replace("PRESENT_CAPTION", str(PRESENT_CAPTION_REM))


def presenter_view() -> bool:
    """Whether the Draw page shows the presenter view. The sidebar toggle starts from the link's `?present=1`,
    and writes its choice back into the link, so a teacher can bookmark it."""
    if PRESENT_KEY not in st.session_state:
        st.session_state[PRESENT_KEY] = st.query_params.get(PRESENT_KEY) == "1"
    on = st.sidebar.toggle("Presenter view", key=PRESENT_KEY, help="The prediction, its confidence and the bars "
                           "in large type, for a projector. Bookmark the page with it on: the link has ?present=1.")
    if on:
        st.query_params[PRESENT_KEY] = "1"
    elif PRESENT_KEY in st.query_params:
        del st.query_params[PRESENT_KEY]
    return on


def page_style(present: bool) -> None:
    st.html(_CSS + (_PRESENT_CSS if present else ""))


def title(text: str) -> None:
    with st.container(key="draw_title"):
        st.title(text)


@contextmanager
def drawing_row(present: bool):
    """(canvas area, answer area): a row that wraps, the canvas first. Pages put extra elements (a name field,
    a note) in the answer area after the answer: it grows downwards, beside the canvas or under it."""
    canvas_px = PRESENT_CANVAS_PX if present else CANVAS_PX
    with st.container(horizontal=True, wrap=True, gap="large", key="draw_row"):
        canvas_area = st.container(width=canvas_px + 8, key="draw_canvas")
        answer_area = st.container(key="draw_answer")
        yield canvas_area, answer_area


def canvas_size(present: bool) -> int:
    return PRESENT_CANVAS_PX if present else CANVAS_PX
