"""Explanation of one input, shown on the Draw, Evaluation and Class pages: SHAP maps of the top 3 classes (and of
the class meant, where a true label is known and the top 3 lack it),
every layer's activations, and the first layers' filters or weight templates. The computing is in
core.insight.explain; explainers are cached per bundle (name and file time) and shared by every session."""
from __future__ import annotations

import hashlib
from typing import Optional

import numpy as np
import streamlit as st
from PIL import Image

from core.insight import explain
from core.model import pictures
from core import registry
from core.errors import HWLabError
from core.model.input import one_image
from ui import teacher_lock
from ui.charts import unit_bars
from ui.state import dataset_on_disk

# What each kind of layer does, in a learner's words (the Keras class name stays in the code).
LAYER_WORDS = {"Conv2D": "convolution (pattern detectors)", "BatchNormalization": "normalisation",
               "Activation": "activation (keeps the positive)", "ReLU": "activation (keeps the positive)",
               "MaxPooling2D": "pooling (keeps the strongest)", "AveragePooling2D": "pooling (averages)",
               "Dense": "dense layer"}


def layer_words(keras_type: str) -> str:
    return LAYER_WORDS.get(keras_type, keras_type)


# The caches take the loaded model as `_pred` (Streamlit does not hash arguments named with a leading
# underscore) and are keyed by the bundle's name and file time: a replaced bundle is built afresh.
@st.cache_resource(show_spinner=False, max_entries=6)
def _explainer(_pred: registry.Predictor, name: str, mtime: float, method: str) -> explain.Explainer:
    bg, source = explain.background(name, dataset=dataset_on_disk((_pred.card or {}).get("dataset", "")))
    return explain.Explainer(_pred.model, bg, method, classes=_pred.classes, background_source=source)


@st.cache_resource(show_spinner=False, max_entries=8)
def _activations(_pred: registry.Predictor, name: str, mtime: float) -> explain.Activations:
    return explain.Activations(_pred.model)


@st.cache_resource(show_spinner=False, max_entries=8)
def _weights_pictures(_pred: registry.Predictor, name: str, mtime: float) -> dict:
    """Conv filters or first-layer templates as pictures, once per model (they never change)."""
    out = {"filters": [], "templates": None}
    for layer, f, note in explain.conv_filters(_pred.model)[:2]:
        pics = np.stack([pictures.diverging_rgb(k, scale=max(1, 28 // k.shape[0])) for k in f[:64]])
        out["filters"].append((layer, Image.fromarray(pictures.tiles(pics, 8, pad=2, value=255)), note))
    t = explain.weight_templates(_pred.model, _pred.classes)
    if t is not None:
        n = min(len(t.weights), 64 if len(t.weights) > len(_pred.classes) else len(t.weights))
        out["templates"] = (t.layer, [pictures.diverging_rgb(w, scale=3) for w in t.weights[:n]], t.labels[:n],
                            len(t.weights))
    return out


def _key_of(name: str, method: str, x: np.ndarray) -> str:
    return hashlib.sha1(f"{name}|{method}|".encode() + np.ascontiguousarray(x, np.float32).tobytes()).hexdigest()


def show_shap(pred: registry.Predictor, x: np.ndarray, key: str, true_label: Optional[str] = None) -> None:
    """SHAP maps of the top 3 classes over the input, and of the true class after them when the model ranks it lower
    (a misread: what the student meant beside what the model read): red supports the class, blue opposes it."""
    name = pred.bundle.name
    also = [str(true_label)] if true_label is not None and str(true_label) in pred.classes else []
    methods = list(explain.METHODS)
    if not teacher_lock.is_teacher():  # Partition SHAP is heavy: the teacher's, when a teacher is set
        methods.remove("partition")
        if st.session_state.get(f"{key}-shap-method") not in methods:
            st.session_state.pop(f"{key}-shap-method", None)  # picked while this session was the teacher's
    method = st.radio("SHAP method", methods, format_func=explain.METHODS.get, horizontal=True,
                      key=f"{key}-shap-method", help="GradientExplainer is the fastest (under a second). DeepExplainer "
                      "(DeepLIFT) takes a few seconds; the Partition explainer masks regions of the image and "
                      "needs about 20 s to get ready the first time (shap compiles it), then about a second"
                      + ("." if "partition" in methods else ": it is the teacher's."))
    memo = st.session_state.setdefault("_shap_memo", {})
    k = _key_of(f"{name}@{pred.bundle.mtime}|{','.join(also)}", method, x)
    att = memo.get(k)
    if att is None:
        bar = st.progress(0.0, text="Preparing the explainer…")
        try:
            e = _explainer(pred, name, pred.bundle.mtime, method)
            att = e.explain(x, also=also, progress=lambda done, total: bar.progress(
                done / total, text=f"SHAP for {total} classes: {done} of {total} done"))
        except HWLabError as exc:
            bar.empty()
            st.error(str(exc))
            return
        bar.empty()
        if len(memo) > 32:
            memo.clear()
        memo[k] = att
    cols = st.columns(len(att.classes))
    for rank, (col, label, p, v) in enumerate(zip(cols, att.labels, att.probs, att.values)):
        meant = true_label is not None and label == str(true_label)
        mark = (" ✔ true class" if rank < explain.TOP else " · the true class, not in the top 3") if meant else ""
        with col:
            st.image(pictures.attribution_rgb(att.x, v, att.vmax, scale=7), width=196,
                     caption=f"SHAP for {label} · {p:.1%}{mark}",
                     alt=f"SHAP map for {label} ({p:.0%}): the input, its pixels coloured by how much they push the "
                         f"model towards {label} or away from it")
    shap_legend()
    st.caption(f"Red pixels push the model towards that class, blue pixels away from it, on one symmetric scale "
               f"(|max| {att.vmax:.3g}). {explain.METHODS[att.method]}, background: {att.source}; "
               f"{att.seconds:.2f} s.")


def shap_legend() -> None:
    """Which colour means "for" and which "against": a scale with both words, not the colour alone."""
    blue, red = pictures.hex_colour(pictures.BLUE), pictures.hex_colour(pictures.RED)
    st.html(f'<div style="display:flex;align-items:center;gap:0.5rem;font-size:0.875rem">'
            f'<span>against the class</span>'
            f'<span role="img" aria-label="colour scale: blue, against the class; white, no effect; red, for the class" '
            f'style="flex:0 0 10rem;height:0.8rem;border:1px solid #767676;border-radius:0.2rem;'
            f'background:linear-gradient(to right,{blue},#ffffff,{red})"></span><span>for the class</span></div>')


def show_activations(pred: registry.Predictor, x: np.ndarray, key: str) -> None:
    """Every layer's output: feature maps as grids, dense layers as bars; filters or templates."""
    name = pred.bundle.name
    kind = explain.architecture_kind(pred.card)
    outs = _activations(pred, name, pred.bundle.mtime)(x)
    pics = _weights_pictures(pred, name, pred.bundle.mtime)
    if kind in ("linear", "mlp") and pics["templates"] is not None:
        layer, images, labels, total = pics["templates"]
        st.markdown(f"**What the first layer looks for:** the weights of `{layer}` as 28×28 templates "
                    f"(red: ink there raises the {'class score' if kind == 'linear' else 'unit'}, blue: lowers it)"
                    + (f"; the first {len(images)} of {total} units." if total > len(images) else "."))
        per_row = 10 if len(images) <= 10 else 8
        for start in range(0, len(images), per_row):
            cols = st.columns(per_row)
            for col, im, lab in zip(cols, images[start:start + per_row], labels[start:start + per_row]):
                col.image(im, caption=lab, width="stretch", alt=f"First-layer weights for {lab}")
    shown = [o for o in outs if not o.passthrough]
    maps = [o for o in shown if o.kind == "maps"]
    vectors = [o for o in shown if o.kind == "vector" and o.values.size <= 1024]
    if maps:
        st.markdown("**Feature maps** of every convolution, normalisation, activation and pooling layer "
                    "(each map scaled to its own maximum; yellow: active)")
        for i, o in enumerate(maps):
            if i % 3 == 0:  # a row of columns for every 3 layers: a caption on two lines cannot push a column down
                cols = st.columns(3)
            h, w, c = o.values.shape
            more = f", first {pictures.GRID_MAPS}" if c > pictures.GRID_MAPS else ""
            with cols[i % 3]:
                st.image(pictures.feature_grid_picture(o.values), width="stretch", alt=f"Feature maps of {o.name}",
                         caption=f"{i + 1}. {layer_words(o.type)}: {c} maps of {h}×{w}{more} ({o.name})")
    if vectors:
        st.markdown("**Dense layers** (one bar a unit)")
        for i, o in enumerate(vectors):
            if i % 2 == 0:
                cols = st.columns(2)
            v = np.asarray(o.values, float)
            is_output = len(v) == len(pred.classes)
            labels = pred.classes if is_output else [str(j + 1) for j in range(len(v))]
            what = "the output: one unit a class" if is_output else f"{layer_words(o.type)}: {len(v)} units"
            fig = unit_bars(labels, v, f"{what} ({o.name})", highlight=is_output)
            cols[i % 2].plotly_chart(fig, key=f"{key}-act-{o.name}", config={"displayModeBar": False})
    skipped = [o.name for o in outs if o.passthrough]
    if skipped:
        st.caption(f"Not shown: {', '.join(skipped)} (flatten reshapes; dropout passes values through at inference).")
    if pics["filters"]:
        with st.expander("Convolution filters"):
            for layer, im, note in pics["filters"]:
                st.image(im, caption=f"{layer}: {note} (red positive, blue negative weights)",
                         alt=f"The convolution filters of {layer}")


def explain_input(pred: registry.Predictor, x: np.ndarray, key: str, true_label: Optional[str] = None) -> None:
    """The whole explanation of one input x (float32 (1,28,28,1)): SHAP top 3 (and the true class), then
    activations."""
    x = one_image(x)
    st.markdown("#### Why? SHAP attributions for the top 3 classes" + (" and the true class" if true_label is not None
                                                                       else ""))
    show_shap(pred, x, key, true_label)
    with st.expander("Layer activations", expanded=True):
        try:
            show_activations(pred, x, key)
        except HWLabError as exc:
            st.error(str(exc))
