"""The black drawing canvas of the Draw page and of "Write several characters": streamlit-drawable-canvas,
white ink on black, without the package's toolbar.

That toolbar (send, undo, redo, edit, reset) stays invisible until the mouse hovers the canvas, and lies over
the top ~30 px of the canvas's right half: a stroke that started there drew nothing, and a tap there (a
finger never hovers) hit the invisible reset and erased the drawing. The package (0.13.0) has no option to
hide it, and draws inside a shadow root that the page's CSS cannot reach. So the package's own component is
registered again under its name, through Streamlit's public `st.components.v2.component` (the last
definition of a name is the one mounted; Streamlit logs a warning once when it replaces the package's): the
package's JS and CSS files, and its root element with one style rule of ours beside it. The pages' Clear
button is the one way to erase. The whole square takes ink (tests/e2e/test_e2e_canvas.py)."""
from __future__ import annotations

import streamlit as st
from streamlit_drawable_canvas import CanvasResult, st_canvas

_PACKAGE_COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"  # "<project>.<component>" (its pyproject)
# `!important`: the package's script sets the toolbar's display inline on every render.
_ROOT_HTML = '<style>.dc-toolbar { display: none !important; }</style><div class="canvas-root"></div>'


def _register_without_toolbar() -> None:
    """Register on every call, not once at import: Streamlit keeps components per runtime (AppTest starts one
    per test), and at mount the package puts its own definition back into a runtime that has none. Once ours
    is there, registering the same definition again is a no-op."""
    st.components.v2.component(_PACKAGE_COMPONENT, js="index-*.js", css="index-*.css", html=_ROOT_HTML,
                               isolate_styles=True)


def ink_canvas(width: int, height: int, stroke_width: int, key: str, background_image=None) -> CanvasResult:
    """A freehand canvas of `width` x `height` px, white strokes of `stroke_width` px on black (over
    `background_image`, a PIL image, where one is given: "Try a sample"); its result carries the strokes' RGBA
    picture (`image_data`). A new `key` gives an empty canvas (the pages' Clear)."""
    _register_without_toolbar()
    return st_canvas(stroke_width=stroke_width, stroke_color="#FFFFFF", background_color="#000000", width=width,
                     height=height, drawing_mode="freedraw", background_image=background_image,
                     return_image_data=True, key=key)
