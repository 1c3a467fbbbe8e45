"""More insight on one input, wherever an input is shown (the drawing, an upload, a test example): the
line-up of every model, the nearest training examples, the map of what the model learned. One is shown at a
time, picked by the user, so nothing is computed that nobody asked for."""
from __future__ import annotations

from typing import Optional

import numpy as np
import streamlit as st

from core import registry
from core.model.input import one_image
from ui.insight.feature_map import show_feature_map
from ui.insight.lineup import show_lineup
from ui.insight.neighbours import show_neighbours

VIEWS = {"lineup": ":material/view_column: Every model", "neighbours": ":material/group: Nearest training examples",
         "map": ":material/scatter_plot: Map of what it learned"}


def show_insights(pred: registry.Predictor, x: Optional[np.ndarray], key: str,
                  picture: Optional[np.ndarray] = None) -> None:
    """x: the model's input (float32 (1,28,28,1)) or None when nothing is drawn yet; picture: the original
    picture, when there is one, so each model of the line-up prepares it in its own style."""
    if x is not None:
        x = one_image(x)
    view = st.segmented_control("More insight", list(VIEWS), format_func=VIEWS.get, key=f"{key}-insight")
    if view is None:
        return
    if view == "map":
        show_feature_map(pred, x, key)
    elif x is None:
        st.info("Draw something first.")
    elif view == "lineup":
        show_lineup(pred.card["dataset"], key, picture=picture, x=x)
    else:
        show_neighbours(pred, x, key)
