"""What every page needs for keyboard and screen-reader users (WCAG 2.1 AA), set once from app.py:

- a focus ring that shows (Streamlit's is a faint grey on sidebar links and switches), in the theme's pink;
- at 200% zoom, widget labels wrap instead of being cut to "…";
- `prefers-reduced-motion`: no animations, transitions or smooth scrolling for those who ask for none;
- the page's language declared (Streamlit's page has `lang="en"`; kept so if anything changes it);
- the drawing canvas named, with its instruction, and reachable by Tab (a screen reader says what it is and
  that "Try a sample" or an upload does without a pointer);
- the main area out of the Tab order (Streamlit's tabindex 0 made a stop named with the whole page);
- focus kept: when a rerun replaces the focused element (the wall's 2 s refresh, a send that clears the
  canvas), focus goes to its successor (the same wall card, by its data-id; else the same kind of control
  with the same name) instead of falling to the page's body.

The canvas's own toolbar lives in its shadow root and is left to its own styles."""
import streamlit as st

FOCUS = "#c2255c"  # the theme's primaryColor (.streamlit/config.toml): 5.7:1 on white
# (Not the words "Try a sample": a keyboard user looking for that button must not land on the canvas.)
CANVAS_NAME = ("Drawing canvas. Draw one character on it with the mouse, a finger or a pen; the answer appears "
               "beside it. Without a pointer: the sample button under it, or upload a picture below.")

_CSS = """
<style>
:focus-visible { outline: 3px solid FOCUS !important; outline-offset: 2px; }
/* Switches, checkboxes and radios hide their input: ring what the eye sees. */
label:has(> input:focus-visible), label:has(input[type="checkbox"]:focus-visible),
label:has(input[type="radio"]:focus-visible) { outline: 3px solid FOCUS; outline-offset: 2px; border-radius: 0.4rem; }
/* Reflow (200% zoom): a widget's label wraps instead of ending in "…" when its column is narrow. */
[data-testid="stWidgetLabel"] p, label[data-baseweb="checkbox"] p { white-space: normal !important;
  text-overflow: clip !important; overflow: visible !important; }
[data-testid="stSidebarNav"] a:focus-visible { outline-offset: -2px; }
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation-duration: 0.01ms !important; animation-iteration-count: 1 !important;
    transition-duration: 0.01ms !important; scroll-behavior: auto !important; }
}
</style>
""".replace("FOCUS", FOCUS)

_SCRIPT = """
<script>
(() => {
  if (window.__hwlabA11y) return;
  window.__hwlabA11y = true;
  if (!document.documentElement.lang) document.documentElement.lang = "en";
  const name = (el) => ((el.getAttribute && el.getAttribute("aria-label")) || el.innerText || "").trim().slice(0, 120);
  let last = null;  // the focused element and how to find its successor
  document.addEventListener("focusin", (e) => {
    const el = e.target;
    if (el && el.tagName) last = { el, tag: el.tagName, id: el.dataset ? el.dataset.id : undefined, name: name(el) };
  }, true);
  const refocus = () => {
    if (!last || last.el.isConnected) return;
    const active = document.activeElement;
    if (active && active !== document.body && active !== document.documentElement) { last = null; return; }
    const same = [...document.querySelectorAll(last.tag)].find((el) => !el.disabled && (last.id !== undefined
      ? el.dataset.id === last.id : name(el) === last.name));
    if (same) { same.focus({ preventScroll: true }); last.el = same; }
  };
  const nameCanvas = () => {
    for (const host of document.querySelectorAll('[class*="st-key-canvas-"]')) {
      if (host.getAttribute("aria-label")) continue;
      host.setAttribute("role", "group");  // a group, not an img: its toolbar stays reachable
      host.setAttribute("aria-label", CANVAS_NAME);
      host.setAttribute("tabindex", "0");
    }
    // Where the canvas is wider than its column (the presenter view on a phone), its own wrapper scrolls
    // sideways: then that wrapper takes focus too, so the keyboard can scroll it (axe: scrollable-region-focusable).
    for (const host of document.querySelectorAll('[class*="st-key-canvas-"] [data-testid="stBidiComponentIsolated"]')) {
      const scroller = host.shadowRoot && host.shadowRoot.querySelector(".dc-scroll");
      if (scroller && scroller.scrollWidth > scroller.clientWidth + 1 && !scroller.hasAttribute("tabindex")) {
        scroller.setAttribute("tabindex", "0");
        scroller.setAttribute("role", "group");
        scroller.setAttribute("aria-label", "The drawing canvas, wider than the screen: arrow keys scroll it");
      }
    }
  };
  // Streamlit puts the whole main area in the Tab order (tabindex 0), a stop whose name is the entire page: a
  // keyboard user looking for one button lands there first. Its controls scroll it as they take focus.
  const mainOutOfTabOrder = () => {
    for (const m of document.querySelectorAll('main[tabindex="0"], section[tabindex="0"][data-testid="stMain"]')) m.tabIndex = -1;
  };
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; refocus(); nameCanvas(); mainOutOfTabOrder(); });
  }).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("resize", nameCanvas);
  setInterval(nameCanvas, 1000);  // the canvas draws itself in its shadow root, which the observer above does not see
})();
</script>
""".replace("CANVAS_NAME", repr(CANVAS_NAME))


def page_setup() -> None:
    """Once a run, from app.py: the CSS in the page, the script in the sidebar (it runs once a page load)."""
    st.html(_CSS)
    st.sidebar.html(_SCRIPT, unsafe_allow_javascript=True)
