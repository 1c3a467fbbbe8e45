"""The class wall as one element: its counters, a line saying what is shown, and a card per drawing (its
28x28 input, the nickname, what the student meant, what the model read and how sure it was, the time), a red
edge and the word "Misread" on a misread, an orange edge and "Fooled it!" on a successful fool (never the colour
alone). A click (or Enter) on a card asks for its explanation.

For a screen reader: the wall is a list, each item holding one button named like "Sam drew 4, read as 9, 71%"
(a button in a listitem, not a button with the listitem role, which would hide that it is a button), and its
picture has the same text. Each card carries its drawing's id (data-id), by which ui/a11y.py gives focus back to
the same card when a refresh replaces it.

One element, not a Streamlit element a figure and five a card: the wall redraws every 2 s, and with 32 cards
its ~220 messages were the server's costliest refresh while a class sent drawings
(benchmarks/concurrent_users.py --class). The browser lays the cards out as wide as the screen allows, a phone
to a projector. Nicknames reach the page through `textContent` only: text, never HTML or Markdown."""
from __future__ import annotations

import base64
import functools
from datetime import datetime

import numpy as np
import streamlit as st

from core.classroom import pictures

NAME = "hwlab_wall_grid"  # registered once a process (a page's module runs every rerun)
EXPLAIN = "explain"  # the trigger a click sets: the drawing's id

CSS = """
.hw-counters { display: flex; flex-wrap: wrap; gap: 0.5rem 2.5rem; margin-bottom: 0.6rem; }
.hw-counter .label { font-size: 0.875rem; }
.hw-counter .value { font-size: 2.25rem; line-height: 1.3; }
.hw-note { font-size: 0.875rem; opacity: 0.7; margin-bottom: 0.6rem; }
.hw-wall { display: grid; grid-template-columns: repeat(auto-fill, minmax(8.5rem, 1fr)); gap: 0.6rem; }
.hw-card { display: flex; flex-direction: column; gap: 0.15rem; padding: 0.45rem; text-align: left;
  font: inherit; color: inherit; cursor: pointer; background: transparent;
  border: 1px solid rgba(128, 128, 128, 0.35); border-radius: 0.5rem; }
.hw-card:hover, .hw-card:focus-visible { outline: 2px solid var(--st-primary-color, #c2255c); outline-offset: 1px; }
.hw-card img { width: 100%; aspect-ratio: 1; image-rendering: pixelated; border-radius: 0.3rem; background: #000; }
.hw-card .who { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.hw-card .what, .hw-card .when { font-size: 0.85em; opacity: 0.8; }
.hw-card.misread { border: 2px solid #e03131; }
.hw-card.fool { border: 3px solid #f08c00; background: rgba(255, 169, 77, 0.15); }
.hw-card .badges { display: flex; gap: 0.3rem; flex-wrap: wrap; }
.hw-card .badge.misread { background: #ffe3e3; color: #a51d24; }
.hw-card .badge { align-self: flex-start; font-size: 0.8em; font-weight: 600; padding: 0 0.4rem;
  border-radius: 0.3rem; background: #ffe8cc; color: #a34b00; }
"""

JS = """
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let grid = parentElement.querySelector(".hw-wall");
  if (!grid) {
    const counters = document.createElement("div");
    counters.className = "hw-counters";
    const note = document.createElement("div");
    note.className = "hw-note";
    grid = document.createElement("div");
    grid.className = "hw-wall";
    grid.setAttribute("role", "list");
    parentElement.append(counters, note, grid);
  }
  const cards = (data && data.cards) || [];
  const signature = JSON.stringify(data || {});
  if (grid.dataset.signature === signature) return;  // the 2 s refresh with nothing new: leave the page as it is
  grid.dataset.signature = signature;
  const line = (cls, text) => {
    const el = document.createElement("div");
    el.className = cls;
    el.textContent = text;
    return el;
  };
  parentElement.querySelector(".hw-counters").replaceChildren(...((data && data.counters) || []).map(([label, value]) => {
    const counter = line("hw-counter", "");
    counter.append(line("label", label), line("value", value));
    return counter;
  }));
  parentElement.querySelector(".hw-note").textContent = (data && data.note) || "";
  grid.replaceChildren(...cards.map((d) => {
    const item = document.createElement("div");
    item.setAttribute("role", "listitem");
    const card = document.createElement("button");
    card.type = "button";
    card.className = "hw-card" + (d.correct ? "" : " misread") + (d.fool ? " fool" : "");
    card.dataset.id = String(d.id);
    card.title = "Explain this drawing";
    const said = d.student + " drew " + d.label + ", read as " + d.prediction + ", " + d.confidence;
    card.setAttribute("aria-label", said + (d.fool ? ", fooled it" : d.correct ? "" : ", misread") + ", at " + d.time
      + ". Explain this drawing");
    const img = document.createElement("img");
    img.src = d.image;
    img.alt = said;
    card.append(img, line("who", d.student),
      line("what", (d.correct ? "\\u2713" : "\\u2717") + " meant " + d.label + " \\u00b7 read " + d.prediction
        + " " + d.confidence),
      line("when", d.time));
    const badges = line("badges", "");
    if (!d.correct && !d.fool) badges.append(line("badge misread", "\\u2717 Misread"));
    if (d.fool) badges.append(line("badge", "\\u2605 Fooled it!"));
    if (badges.childElementCount) card.append(badges);
    card.addEventListener("click", () => setTriggerValue("explain", d.id));
    item.append(card);
    return item;
  }));
}
"""


@functools.cache
def _mount():
    return st.components.v2.component(NAME, css=CSS, js=JS, isolate_styles=False)


@functools.lru_cache(maxsize=4096)
def _image(drawing_id: int, input28: bytes) -> str:
    """A drawing's 28x28 input as a PNG data URI (the browser scales it up, pixels kept sharp), made once."""
    png = pictures.input_png(np.frombuffer(input28, np.uint8))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def card(d, fool: bool) -> dict:
    """What one card shows, for the browser (and for tests: the nickname as it was stored)."""
    return {"id": int(d.id), "image": _image(int(d.id), d.input28.tobytes()), "student": d.student,
            "label": d.label, "prediction": d.prediction, "confidence": f"{d.confidence:.0%}",
            "correct": bool(d.correct), "fool": bool(fool),
            "time": datetime.fromtimestamp(d.created).strftime("%H:%M:%S")}


def wall_grid(counters: list[tuple[str, str]], note: str, cards: list[dict], key: str) -> int | None:
    """Shows the counters ((label, value) pairs), the note and the cards; the id of the drawing clicked in
    the run that the click started, else None."""
    result = _mount()(data={"counters": [list(c) for c in counters], "note": note, "cards": cards}, key=key,
                      on_explain_change=lambda: None)
    picked = getattr(result, EXPLAIN, None)
    return None if picked is None else int(picked)
