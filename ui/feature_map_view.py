"""The map of what a model learned: a few thousand test images placed by PCA then t-SNE of the model's
features, coloured by class; the current input as a star. Hover says what a point is; clicking a point
shows its image and explains it (the Draw page's SHAP and activations)."""
from __future__ import annotations

from typing import Optional

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core import registry
from core.errors import HWLabError
from core.insight import feature_map
from core.insight.features import Embedder
from core.pictures import pixels

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


@st.cache_resource(show_spinner=False, max_entries=6)
def _map(name: str, mtime: float) -> Optional[feature_map.FeatureMap]:
    return feature_map.load(name)


@st.cache_resource(show_spinner=False, max_entries=6)
def _embedder(name: str, mtime: float) -> Embedder:
    from ui.state import predictor

    return Embedder(predictor(name).model)


def traces(m: feature_map.FeatureMap) -> list[np.ndarray]:
    """The map points of each class trace, in trace order (a click says trace and point)."""
    return [sel for sel in (np.flatnonzero(m.label == c) for c in range(len(m.classes))) if len(sel)]


def figure(m: feature_map.FeatureMap, star: Optional[np.ndarray]) -> go.Figure:
    fig = go.Figure()
    for sel in traces(m):
        c = int(m.label[sel[0]])
        fig.add_trace(go.Scattergl(
            x=m.xy[sel, 0], y=m.xy[sel, 1], mode="markers", name=m.classes[c],
            marker=dict(size=5, color=COLOURS[c % len(COLOURS)], opacity=0.75),
            text=[f"true {m.classes[c]}, read {m.classes[int(m.predicted[i])]}<br>test image #{int(m.index[i])}"
                  for i in sel], hovertemplate="%{text}<extra></extra>"))
    if star is not None:
        fig.add_trace(go.Scatter(x=[star[0]], y=[star[1]], mode="markers", name="your input",
                                 marker=dict(symbol="star", size=22, color="#fcc419", line=dict(width=2, color="#212529")),
                                 hovertemplate="your input<extra></extra>"))
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=10, b=10), legend=dict(itemsizing="constant"),
                      xaxis=dict(visible=False), yaxis=dict(visible=False), dragmode="pan")
    return fig


def clicked(m: feature_map.FeatureMap, event) -> Optional[int]:
    """The map point a click selected (not the star), or None."""
    by_trace = traces(m)
    for p in ((event or {}).get("selection") or {}).get("points") or []:
        curve, index = p.get("curve_number"), p.get("point_index")
        if curve is not None and index is not None and curve < len(by_trace) and index < len(by_trace[curve]):
            return int(by_trace[curve][index])
    return None


def show_feature_map(pred: registry.Predictor, x: Optional[np.ndarray], key: str) -> None:
    """The bundle's map with x (float32 (1,28,28,1)) as a star; a clicked point is shown and explained."""
    name, mtime = pred.bundle.name, pred.bundle.mtime
    try:
        m = _map(name, mtime)
    except HWLabError as exc:
        st.error(str(exc))
        return
    if m is None:
        st.info(f"{pred.card['title']} has no map yet: `python -m core.insight.feature_map {name}` draws it "
                "(models trained here get one at once).")
        return
    star = m.place(_embedder(name, mtime)(x))[0] if x is not None else None
    st.caption(f"{len(m.xy):,} images of the {m.source}, placed by PCA then t-SNE of the model's last hidden layer: "
               "close points look alike to the model. The star is your input. Click a point to see and explain it.")
    event = st.plotly_chart(figure(m, star), key=f"{key}-map", on_select="rerun", selection_mode="points",
                            config={"displayModeBar": False, "scrollZoom": True})
    i = clicked(m, event)
    if i is None:
        return
    t, p = int(m.label[i]), int(m.predicted[i])
    c1, c2 = st.columns([1, 4])
    c1.image(pixels(m.images[i] / 255.0, scale=4), width=112)
    c2.markdown(f"**Test image #{int(m.index[i])}**: true **{m.classes[t]}**, the model reads **{m.classes[p]}**.")
    if c2.toggle("Explain this image (SHAP and activations)", key=f"{key}-map-explain"):
        from ui.explain_view import explain_input

        explain_input(pred, m.images[i], key=f"{key}-map-x", true_label=m.classes[t])
