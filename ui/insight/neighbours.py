"""Nearest training examples on a page: the k training images closest to an input in the model's own
feature space, with labels and distances. "Your drawing looks, to this model, like these.\""""
from __future__ import annotations

from collections import Counter

import numpy as np
import streamlit as st

from core import registry
from core.errors import HWLabError
from core.insight.neighbours import Neighbours
from core.model.pictures import pixels

SHOWN = 8


@st.cache_resource(show_spinner=False, max_entries=4)
def _neighbours(name: str, mtime: float, data_dir: str) -> Neighbours:
    from ui.state import predictor

    bar = st.progress(0.0, text="Placing the training set in this model's feature space (once per model)…")
    try:
        return Neighbours(predictor(name), progress=lambda done, total: bar.progress(
            done / total, text=f"Placing the training set in this model's feature space (once): {done:,}/{total:,}"))
    finally:
        bar.empty()


FINDING = ":material/hourglass_top: Finding the nearest training examples…"


def show_neighbours(pred: registry.Predictor, x: np.ndarray, key: str, k: int = SHOWN) -> None:
    """The k training images nearest to x (float32 (1,28,28,1)) for this model, nearest first."""
    from core import config

    # The view's first element, written before the model, the training set or its features load: it takes the
    # place of what the view showed in the run before ("Draw something first." while the canvas was empty), which
    # a browser keeps on screen until this run writes there (as the line-up's). It holds the work's caption (and
    # the first computation's bar), then the neighbours.
    head = st.empty()
    try:
        with head.container():
            st.caption(FINDING)
            near = _neighbours(pred.bundle.name, pred.bundle.mtime, str(config.data_dir()))
        found = near.query(x, k)[0]
    except HWLabError as exc:  # calmly: nothing is broken, the training set is just not here
        head.info(f"Nearest training examples search the model's training set, which is not on this machine: the "
                  f"**Datasets** page downloads it where that can work. {exc}", icon=":material/info:")
        return
    labels = Counter(n.label for n in found)
    common, count = labels.most_common(1)[0]
    answer = pred.top(pred(x)[0], 1)[0][0]
    with head.container():
        st.markdown(f"To **{pred.card['title']}**, this input looks most like these training images: "
                    f"**{count} of {len(found)} are {common}**" +
                    (f" (it reads **{answer}**)." if answer != common else "."))
        cols = st.columns(len(found))
        for col, n in zip(cols, found):
            col.image(pixels(near.image(n.index), scale=3, grid=False), width="stretch",
                      alt=f"Training image #{n.index}, a {n.label}",
                      caption=f"{n.label} · #{n.index} · d {n.distance:.2f}")
        st.caption(f"Distance: euclidean, in the model's last hidden layer (its first "
                   f"{near.projection.components.shape[0]} principal components), over the {len(near.features):,} "
                   f"training images of {near.searched}." + ("" if near.searched == near.dataset_name else
                   f" With {near.dataset_name} downloaded (Datasets page), all of its training images are searched."))
