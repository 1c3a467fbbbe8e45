"""Draw page: draw (or upload) a character, see what the model sees and what it predicts."""
import streamlit as st

from core.errors import BadImage
from core.preprocess import MAX_UPLOAD_BYTES, prepare, read_image
from ui.state import current_predictor, page_frame
from ui.views import show_prediction, show_waiting
from ui.explain_view import explain_input
from ui.insight_view import show_insights
from ui.several_characters import several_characters_mode, show_several_characters

page_frame()

st.title("✍️ Handwriting Lab")
pred = current_predictor()
if pred is None:
    st.stop()
st.caption(f"Model: **{pred.card['title']}** · classes {', '.join(pred.classes[:12])}"
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

    st.session_state.setdefault("canvas_round", 0)
    left, right = st.columns([1, 1.3], gap="large")
    with left:
        width = st.slider("Pen width", 6, 40, 18, key="pen_width")
        canvas = st_canvas(stroke_width=width, stroke_color="#FFFFFF", background_color="#000000",
                           width=280, height=280, drawing_mode="freedraw", return_image_data=True,
                           key=f"canvas-{st.session_state.canvas_round}")
        st.button("Clear", icon="🧽", on_click=_clear)  # a new canvas key empties it, in one rerun
    with right:
        image = canvas.image_data
        prepared = prepare(image, pred.style) if image is not None else None
        drawn = prepared is not None and prepared.x is not None
        if not drawn:
            show_waiting(pred.classes, f"✏️ Draw {what_to_draw(pred.classes)} on the black canvas with your mouse, "
                                       "finger or pen. The prediction appears as soon as you lift it.", "canvas")
        else:
            show_prediction(pred, prepared, "canvas")
        if st.toggle("Explain this drawing (SHAP and activations)", key="explain_drawing", disabled=not drawn) and drawn:
            explain_input(pred, prepared.x, key="draw")
    show_insights(pred, prepared.x if drawn else None, "draw", picture=image)


drawing_area()

with st.expander("📷 Or upload a photo or scan of one handwritten character"):
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
