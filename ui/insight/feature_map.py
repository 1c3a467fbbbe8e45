"""The map of what a model learned: a few thousand test images placed by PCA then t-SNE of the model's
features, coloured by class; the current input as a star. Hovering a point shows its image and what it is;
clicking a point shows it larger and explains it (the Draw page's SHAP and activations)."""
from __future__ import annotations

import base64
import io
from typing import Optional

import numpy as np
import streamlit as st

from core import registry
from core.errors import HWLabError
from core.insight import feature_map
from core.insight.features import Embedder
from core.model.pictures import pixels

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


@st.cache_resource(show_spinner=False, max_entries=6)
def _map(name: str, mtime: float) -> Optional[feature_map.FeatureMap]:
    return feature_map.load(name)


@st.cache_resource(show_spinner=False, max_entries=6)
def _embedder(name: str, mtime: float) -> Embedder:
    from ui.state import predictor

    return Embedder(predictor(name).model)


STAR = "M0,-1L0.24,-0.33L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12L-0.95,-0.31L-0.24,-0.33Z"
PICK = "pick"  # the selection's name: a click comes back as {"selection": {"pick": [{"i": ...}]}}


@st.cache_resource(show_spinner=False, max_entries=6)
def _thumbnails(name: str, mtime: float) -> tuple[str, ...]:
    """Each map image as a small PNG data URI, for the tooltip (made once a bundle)."""
    return tuple(data_uri(pixels(im, scale=2, grid=False)) for im in _map(name, mtime).images)


def data_uri(picture) -> str:
    buf = io.BytesIO()
    picture.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def figure(m: feature_map.FeatureMap, star: Optional[np.ndarray], thumbs: Optional[tuple[str, ...]] = None) -> dict:
    """The map as a Vega-Lite spec: hovering a point shows its image (Vega's tooltip draws a field named
    "image"), clicking selects it (the `pick` selection: its map row `i`); the wheel zooms, dragging pans.
    Rows sit inside the layers: Streamlit would turn top-level rows into a pandas table on every run."""
    classes = [str(c) for c in m.classes]
    rows = [{"i": i, "x": round(float(m.xy[i, 0]), 3), "y": round(float(m.xy[i, 1]), 3),
             "class": classes[int(m.label[i])], "read": classes[int(m.predicted[i])],
             "title": f"test image #{int(m.index[i])}", **({"image": thumbs[i]} if thumbs else {})}
            for i in range(len(m.xy))]
    axis = {"axis": None}
    colour = {"field": "class", "type": "nominal", "sort": classes,
              "scale": {"range": COLOURS}, "legend": {"title": "true class", "columns": 2 if len(classes) > 20 else 1}}
    points = {"data": {"values": rows}, "mark": {"type": "circle", "size": 22, "opacity": 0.75},
              "params": [{"name": PICK, "select": {"type": "point", "fields": ["i"]}},
                         {"name": "zoom", "select": "interval", "bind": "scales"}],
              "encoding": {"x": {"field": "x", "type": "quantitative", **axis},
                           "y": {"field": "y", "type": "quantitative", **axis}, "color": colour,
                           "tooltip": [{"field": "title"}, {"field": "image"}, {"field": "class", "title": "true"},
                                       {"field": "read", "title": "read"}] if thumbs else
                           [{"field": "title"}, {"field": "class", "title": "true"}, {"field": "read", "title": "read"}]}}
    layers = [points]
    if star is not None:
        layers.append({"data": {"values": [{"x": float(star[0]), "y": float(star[1]), "what": "your input"}]},
                       "mark": {"type": "point", "shape": STAR, "size": 900, "filled": True, "fill": "#fcc419",
                                "stroke": "#212529", "strokeWidth": 2, "opacity": 1},
                       "encoding": {"x": {"field": "x", "type": "quantitative"},
                                    "y": {"field": "y", "type": "quantitative"},
                                    "tooltip": [{"field": "what", "title": " "}]}})
    return {"layer": layers, "height": 520, "usermeta": {"embedOptions": {"renderer": "svg"}}}


def clicked(m: feature_map.FeatureMap, event) -> Optional[int]:
    """The map point a click selected (not the star), or None."""
    for p in (((event or {}).get("selection") or {}).get(PICK) or []):
        i = p.get("i") if isinstance(p, dict) else None
        if isinstance(i, (int, float)) and 0 <= int(i) < len(m.xy):
            return int(i)
    return None


DRAWING = ":material/hourglass_top: Drawing the map…"


def show_feature_map(pred: registry.Predictor, x: Optional[np.ndarray], key: str) -> None:
    """The bundle's map with x (float32 (1,28,28,1)) as a star; a clicked point is shown and explained."""
    name, mtime = pred.bundle.name, pred.bundle.mtime
    # The view's first element, written before the map, the model and the thumbnails load: it takes the place of
    # what the run before showed there ("Draw something first."), which a browser keeps on screen until this run
    # writes there (as the line-up's). It says the map is coming, then holds the map.
    head = st.empty()
    head.caption(DRAWING)
    try:
        m = _map(name, mtime)
    except HWLabError as exc:
        head.error(str(exc))
        return
    if m is None:
        head.info(f"{pred.card['title']} has no map yet: `python -m core.insight.feature_map {name}` draws it "
                  "(models trained here get one at once).")
        return
    star = m.place(_embedder(name, mtime)(x))[0] if x is not None else None
    thumbs = _thumbnails(name, mtime)
    with head.container():
        _show(pred, m, star, thumbs, key)


def _show(pred: registry.Predictor, m: feature_map.FeatureMap, star: Optional[np.ndarray], thumbs: tuple[str, ...],
          key: str) -> None:
    st.caption(f"{len(m.xy):,} images of the {m.source}, placed by PCA then t-SNE of the model's last hidden layer: "
               "close points look alike to the model. The star is your input. Hover a point to see its image, click it "
               "to explain it; the wheel zooms, dragging moves the map.")
    event = st.vega_lite_chart(figure(m, star, thumbs), key=f"{key}-map", on_select="rerun", selection_mode=PICK,
                               width="stretch")
    i = clicked(m, event)
    if i is None:
        return
    t, p = int(m.label[i]), int(m.predicted[i])
    c1, c2 = st.columns([1, 4])
    c1.image(pixels(m.images[i], scale=4), width=112,
             alt=f"Test image #{int(m.index[i])}, true {m.classes[t]}, read {m.classes[p]}")
    c2.markdown(f"**Test image #{int(m.index[i])}**: true **{m.classes[t]}**, the model reads **{m.classes[p]}**.")
    if c2.toggle("Explain this image (SHAP and activations)", key=f"{key}-map-explain"):
        from ui.insight.explain import explain_input

        explain_input(pred, m.images[i], key=f"{key}-map-x", true_label=m.classes[t])
