"""What a screen reader says when the model answers: one polite live region (`aria-live="polite"`) a prediction
block, holding "Read as 7, 98% sure; next: 1, 1%". The region stays in the page from the first run (empty while
nothing is read), so the reader hears each new sentence once; visually hidden, the verdict beside it says the same.

One st.components.v2 element: its container survives reruns (a Markdown element is rebuilt, and a live region
that arrives with its text in it is not announced)."""
from __future__ import annotations

import functools
import hashlib

import numpy as np
import streamlit as st

NAME = "hwlab_announce"

CSS = """
/* The block holding the region takes no room (no gap in the column) */
div:has(> [class*="st-key-live_"]), [class*="st-key-live_"] { position: absolute !important; width: 1px; height: 1px;
  overflow: hidden; }
.hw-live { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
"""

JS = """
export default function (component) {
  const { data, parentElement } = component;
  let region = parentElement.querySelector(".hw-live");
  if (!region) {
    region = document.createElement("div");
    region.className = "hw-live";
    region.setAttribute("role", "status");
    region.setAttribute("aria-live", "polite");
    region.setAttribute("aria-atomic", "true");
    parentElement.append(region);
  }
  const text = (data && data.text) || "", id = (data && data.id) || "";
  if (region.dataset.id === id && region.textContent === text) return;
  const again = region.textContent === text && text !== "";  // a new input read the same: say it again
  region.dataset.id = id;
  if (again) { region.textContent = ""; setTimeout(() => { region.textContent = text; }, 150); }
  else region.textContent = text;
}
"""


@functools.cache
def _mount():
    return st.components.v2.component(NAME, css=CSS, js=JS, isolate_styles=False)


def sentence(top: list[tuple[str, float]]) -> str:
    """'Read as 7, 98% sure; next: 1, 1%' from the top answers ((class, probability), best first)."""
    said = f"Read as {top[0][0]}, {top[0][1]:.0%} sure"
    return said + (f"; next: {top[1][0]}, {top[1][1]:.0%}" if len(top) > 1 else "")


def announce(text: str, key: str, input_id: str = "") -> None:
    """Put `text` in the live region of the prediction block `key` ("" while nothing is read); `input_id` tells
    a new input from a rerun of the same one."""
    with st.container(key=f"live_{key}"):
        _mount()(data={"text": text, "id": input_id}, key=f"announce_{key}")


def input_id(x: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(x).tobytes()).hexdigest()[:12]
