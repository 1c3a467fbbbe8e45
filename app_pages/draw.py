"""Draw page: draw (or upload) a character, see what the model sees and what it predicts."""
import streamlit as st

from core.training.cpu_share import mark_app_busy
from core.model.preprocess import prepare
from core.classroom.store import ClassStoreError, open_store
from ui import rooms as class_rooms
from ui.draw import layout as draw_layout, other_input as draw_input
from ui.state import current_predictor, dataset_title, page_frame
from ui.turns import after_the_wall, drawing_run_starts
from ui.prediction import show_prediction, show_waiting
from ui.insight.explain import explain_input
from ui.draw.class_send import class_send
from ui.insight.more import show_insights
from ui.draw.ink_canvas import ink_canvas
from ui.draw.several_characters import several_characters_mode, show_several_characters

page_frame()

present = draw_layout.presenter_view()
draw_layout.page_style(present)
draw_layout.title(":material/draw: Handwriting Lab")
about_model = st.container(key="draw_model").empty()  # filled once the model is loaded: "Loading the model…" is never drawn over it
pred = current_predictor()
if pred is None:
    st.stop()
about_model.caption(f"Model: **{pred.card['title']}**, trained on {dataset_title(pred.card['dataset'])} · classes {', '.join(pred.classes[:12])}"
           f"{'…' if len(pred.classes) > 12 else ''}")
try:
    class_rooms.join_line(open_store())  # "Join a class", or the class the drawings go to
except ClassStoreError:
    pass  # no class database: drawing goes on, and a send says why it cannot store
if several_characters_mode():
    show_several_characters(pred)
    st.stop()


def what_to_draw(classes: list[str]) -> str:
    digits, letters = any(c.isdigit() for c in classes), any(c.isalpha() for c in classes)
    return "a digit or a letter" if digits and letters else "a letter" if letters else "a digit"


def _clear(keep_source: bool = False):
    st.session_state.canvas_round += 1
    if not keep_source:
        draw_input.forget()  # Clear and a send also put away a sample or an upload (ui/draw_input.py)


@st.fragment
def drawing_area():
    # Only this fragment reruns after a stroke: the page around it stays as it is.
    drawing_run_starts()  # with a class at work, the projector's wall refresh goes first (ui/turns.py)
    st.session_state.setdefault("canvas_round", 0)
    size = draw_layout.canvas_size(present)
    with draw_layout.drawing_row(present) as (canvas_area, answer_area):
        with canvas_area:
            width = st.session_state.get("pen_width", 18)
            sample = draw_input.canvas_background(pred, size)  # "Try a sample" puts its example on the canvas
            canvas = ink_canvas(size, size, round(width * size / draw_layout.CANVAS_PX),
                                key=f"canvas-{st.session_state.canvas_round}", background_image=sample)
            with st.container(horizontal=True, vertical_alignment="bottom"):
                st.button("Clear", icon=":material/ink_eraser:", on_click=_clear)  # a new canvas key empties it
                st.slider("Pen width", 6, 40, 18, key="pen_width")
            draw_input.sample_picker(pred, _clear)
            draw_input.sample_note(pred)
        with answer_area:
            after_the_wall()
            image = draw_input.over_background(canvas.image_data, sample)
            prepared = prepare(image, pred.style) if image is not None else None
            drawn = prepared is not None and prepared.x is not None
            upload = None if drawn else draw_input.pending(pred)  # an upload, read while the canvas is empty
            if upload is not None:
                prepared, image, drawn = upload.prepared, upload.picture, True
            probs = pred(prepared.x)[0] if drawn else None  # once: the answer and the class label's preset
            if drawn:
                mark_app_busy()  # a training job steps aside while the class draws (core/training/cpu_share.py)
            if not drawn:
                show_waiting(pred.classes, f"Draw {what_to_draw(pred.classes)} on the black canvas with your mouse, "
                                           "finger or pen. The prediction appears as soon as you lift it.",
                             "canvas", present)
            else:
                show_prediction(pred, prepared, "canvas", present, probs)
            after_the_wall()
            class_send(pred, prepared if drawn else None, image, probs, _clear)  # "Your name", "Send to the class"
    after_the_wall()
    if st.toggle("Explain this drawing (SHAP and activations)", key="explain_drawing", disabled=not drawn) and drawn:
        explain_input(pred, prepared.x, key="draw")
    show_insights(pred, prepared.x if drawn else None, "draw", picture=image)


drawing_area()

draw_input.upload_box(pred, _clear)
