"""Draw page: draw (or upload) a character, see what the model sees and what it predicts."""
import streamlit as st

from core.cpu_share import mark_app_busy
from core.errors import BadImage
from core.preprocess import MAX_UPLOAD_BYTES, prepare, read_image
from ui import draw_layout
from ui.state import current_predictor, dataset_title, page_frame
from ui.turns import after_the_wall, drawing_run_starts
from ui.views import show_prediction, show_waiting
from ui.explain_view import explain_input
from ui.class_send import class_send
from ui.insight_view import show_insights
from ui.several_characters import several_characters_mode, show_several_characters

page_frame()

present = draw_layout.presenter_view()
draw_layout.page_style(present)
draw_layout.title(":material/draw: Handwriting Lab")
about_model = st.empty()  # filled once the model is loaded: "Loading the model…" is never drawn over it
pred = current_predictor()
if pred is None:
    st.stop()
about_model.caption(f"Model: **{pred.card['title']}**, trained on {dataset_title(pred.card['dataset'])} · classes {', '.join(pred.classes[:12])}"
           f"{'…' if len(pred.classes) > 12 else ''}")
if several_characters_mode():
    show_several_characters(pred)
    st.stop()


def what_to_draw(classes: list[str]) -> str:
    digits, letters = any(c.isdigit() for c in classes), any(c.isalpha() for c in classes)
    return "a digit or a letter" if digits and letters else "a letter" if letters else "a digit"


def _clear():
    st.session_state.canvas_round += 1


@st.fragment
def drawing_area():
    # Only this fragment reruns after a stroke: the page around it stays as it is.
    from streamlit_drawable_canvas import st_canvas

    drawing_run_starts()  # with a class at work, the projector's wall refresh goes first (ui/turns.py)
    st.session_state.setdefault("canvas_round", 0)
    size = draw_layout.canvas_size(present)
    with draw_layout.drawing_row(present) as (canvas_area, answer_area):
        with canvas_area:
            width = st.session_state.get("pen_width", 18)
            canvas = st_canvas(stroke_width=round(width * size / draw_layout.CANVAS_PX), stroke_color="#FFFFFF",
                               background_color="#000000", width=size, height=size, drawing_mode="freedraw",
                               return_image_data=True, key=f"canvas-{st.session_state.canvas_round}")
            with st.container(horizontal=True, vertical_alignment="bottom"):
                st.button("Clear", icon=":material/ink_eraser:", on_click=_clear)  # a new canvas key empties it
                st.slider("Pen width", 6, 40, 18, key="pen_width")
        with answer_area:
            after_the_wall()
            image = canvas.image_data
            prepared = prepare(image, pred.style) if image is not None else None
            drawn = prepared is not None and prepared.x is not None
            probs = pred(prepared.x)[0] if drawn else None  # once: the answer and the class label's preset
            if drawn:
                mark_app_busy()  # a training job steps aside while the class draws (core/cpu_share.py)
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

with st.expander(":material/photo_camera: Or upload a photo or scan of one handwritten character"):
    up = st.file_uploader("Picture (PNG, JPEG, GIF, BMP, WebP, TIFF)", max_upload_size=MAX_UPLOAD_BYTES // 2**20,
                          type=["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"])
    if up is not None:
        try:
            picture = read_image(up.getvalue(), up.name)
            prepared = prepare(picture, pred.style)
        except BadImage as exc:
            st.error(str(exc))
        else:
            if prepared.x is None:
                st.warning("No ink found in that picture: is it blank?")
            else:
                show_prediction(pred, prepared, "upload")
                if st.toggle("Explain this picture (SHAP and activations)", key="explain_upload"):
                    explain_input(pred, prepared.x, key="upload")
                show_insights(pred, prepared.x, "upload", picture=picture)
