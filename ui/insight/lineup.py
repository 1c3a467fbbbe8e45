"""The line-up on a page: every model of the current dataset reads the same input, side by side, from
logistic regression to the strongest CNN; each shows the 28x28 input it sees, its top 3, size and accuracy."""
from __future__ import annotations

from typing import Optional

import numpy as np
import streamlit as st

from core.errors import HWLabError
from core.insight.lineup import LineUp
from core.insight.lookalikes import note
from core.model.pictures import pixels

PER_ROW = 4
KIND_TITLE = {"linear": "linear", "mlp": "MLP", "cnn": "CNN"}


@st.cache_resource(show_spinner=False, max_entries=4)
def _lineup(dataset: str, models_dir: str, stamp: tuple) -> LineUp:
    from ui.state import predictor

    # The models live where every page's do (ui/state.py: one copy per server process, for every session); the
    # line-up's own bar says how far their first load is, so no "Loading the model…" spinner comes with each.
    return LineUp(dataset, lambda name: predictor(name, spinner=None))


def lineup_for(dataset: str) -> LineUp:
    """The dataset's line-up, rebuilt when a bundle of it appears, changes or goes."""
    from core import config
    from core.insight.lineup import members

    stamp = tuple((b.name, b.mtime) for b in members(dataset))
    return _lineup(dataset, str(config.models_dir()), stamp)


def _loading(done: int, total: int) -> str:
    return f"Loading the line-up's models: {done} of {total}"


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1e6 else f"{n_bytes / 1e3:.0f} kB"


def show_lineup(dataset: str, key: str, picture: Optional[np.ndarray] = None, x: Optional[np.ndarray] = None) -> None:
    """Every model of `dataset` on a picture (prepared in each model's style) or on a prepared input x."""
    # The view's first element, written before any model loads: it takes the place of what the view showed in
    # the run before ("Draw something first." while the canvas was empty), which a browser keeps on screen until
    # this run writes there. It holds the loading bar, then the line-up's caption.
    head = st.empty()
    try:
        line = lineup_for(dataset)
        if not line.loaded:
            bar = head.progress(0.0, text=_loading(0, len(line.bundles)))
            line.load(lambda done, total: bar.progress(done / total, text=_loading(done, total)))
        answers = line.read(picture) if picture is not None else line.read_input(x)
    except HWLabError as exc:
        head.error(str(exc))
        return
    if not answers:
        head.info("Draw something first: every model of this dataset will read it.")
        return
    head.caption(f"{len(answers)} models of **{dataset}** read the same input, from the simplest (logistic "
                 "regression) to the strongest CNN: watch accuracy grow with depth.")
    for start in range(0, len(answers), PER_ROW):
        cols = st.columns(PER_ROW)
        for col, a in zip(cols, answers[start:start + PER_ROW]):
            with col.container(border=True):
                st.markdown(f"**{a.title}**")
                st.image(pixels(a.x, scale=3), width=84, alt=f"The input as {a.title} sees it, read {a.label}")
                st.metric("Reads", a.label, f"{a.confidence:.1%}", delta_color="off", delta_arrow="off")
                st.caption("Then " + ", ".join(f"{c} ({p:.0%})" for c, p in a.top[1:]))
                lookalike = note(a.top)
                if lookalike:
                    st.caption(f":material/visibility: {lookalike}")
                acc = f"{a.test_accuracy:.2%}" if isinstance(a.test_accuracy, (int, float)) else "n/a"
                params = f"{a.parameters:,} parameters · " if a.parameters else ""
                st.caption(f"{KIND_TITLE[a.kind]} · {params}{_size(a.size_bytes)} · test accuracy {acc}")
