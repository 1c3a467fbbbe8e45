"""Students on phones and tablets: the Draw page as it opens (no sidebar closed by hand), real pen digits drawn
with a finger (CDP touch events), the prediction right and on screen without scrolling; the projector's
presenter view in large type. Uses the fixtures of tests/e2e/conftest.py."""
import re
import time

import pytest

from core import config
from ui.prediction import PLACEHOLDER
from core.datasets.strokes import read_samples
from e2e_support import (ROOT, SCREENS, UNCOVERED_JS, canvas_points, draw_stroke, inside_screen, start_app,
                         stop_app, touch_context, touch_stroke)

pytestmark = pytest.mark.e2e
PEN = config.data_dir() / "pen-strokes" / "pendigits-train-writers.jsonl.gz"


def _one_stroke_digits(n: int):
    if not PEN.is_file():
        pytest.skip(f"{PEN} is not here")
    out = []
    for i, s in enumerate(read_samples(PEN)):
        if len(s["strokes"]) == 1 and s["label"] not in {o[1]["label"] for o in out}:
            out.append((i, s))
        if len(out) >= n:
            return out


def _prediction(page):
    return page.locator('[data-testid="stMetric"]').filter(has_text=re.compile("Prediction")).locator(
        '[data-testid="stMetricValue"]').first


def _open_canvas(page, url, w, h):
    page.goto(url)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(state="visible", timeout=90_000)
    time.sleep(0.7)  # a fresh canvas takes a moment to take input
    box = canvas.bounding_box()
    assert inside_screen(box, w, h) and canvas.evaluate(UNCOVERED_JS), f"canvas not wholly on screen: {box}"
    return canvas, box


@pytest.mark.parametrize("screen", ["phone", "tablet"])
def test_touch_drawings_are_read_and_the_answer_is_on_screen(app_url, playwright_browser, screen):
    w, h = SCREENS[screen]
    context = touch_context(playwright_browser, screen)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        for idx, sample in _one_stroke_digits(2):
            canvas, box = _open_canvas(page, app_url, w, h)
            assert canvas.evaluate("el => getComputedStyle(el).touchAction") == "none"  # a stroke never scrolls
            metric = _prediction(page)
            assert metric.inner_text().strip() == PLACEHOLDER  # the verdict waits for the answer...
            touch_stroke(cdp, canvas_points(sample["strokes"], idx, box)[0])
            # ...and the answer lands in that very element (../shared/tools/e2e_touch.py waits on it, as here).
            page.wait_for_function("el => /^[0-9A-Za-z]/.test(el.innerText.trim())", arg=metric.element_handle(),
                                   timeout=60_000)
            assert metric.inner_text().strip() == sample["label"]
            assert inside_screen(metric.bounding_box(), w, h), metric.bounding_box()
            assert page.evaluate("window.scrollY") == 0
    finally:
        context.close()


def test_presenter_view_on_a_projector(app_url, playwright_browser):
    """?present=1: the prediction in large type, the canvas bigger and still wholly on screen."""
    w, h = SCREENS["projector"]
    context = playwright_browser.new_context(viewport={"width": w, "height": h})
    try:
        page = context.new_page()
        canvas, box = _open_canvas(page, app_url + "?present=1", w, h)
        assert box["width"] > 300
        idx, sample = _one_stroke_digits(1)[0]
        draw_stroke(page, canvas_points(sample["strokes"], idx, box)[0])  # the pen tablet: a mouse here
        metric = _prediction(page)
        page.wait_for_function("el => /^[0-9A-Za-z]/.test(el.innerText.trim())", arg=metric.element_handle(),
                               timeout=60_000)
        size = page.evaluate("""() => parseFloat(getComputedStyle(document.querySelector(
            '.st-key-verdict_canvas [data-testid="stMetricValue"]')).fontSize)""")
        assert size >= 100, size  # px: readable from the back of a room (laptop view: 36 px)
        ticks = page.evaluate("""() => [...document.querySelectorAll(
            '[data-testid="stVegaLiteChart"] .role-axis-label text')].map(t => parseFloat(getComputedStyle(t).fontSize))""")
        assert len(ticks) >= 10 and min(ticks) >= 24, ticks  # the bars' class labels too
        captions = page.evaluate("""() => ['.st-key-answer_canvas [data-testid="stImageCaption"]',
            '.st-key-draw_model [data-testid="stCaptionContainer"] p'].map(q => [...document.querySelectorAll(q)].map(
            e => [e.innerText.slice(0, 20), parseFloat(getComputedStyle(e).fontSize)]))""")
        view, model = captions  # "What the model sees (28×28)" and the model's line (laptop view: 14 px)
        assert view and model and all(size >= 24 for _, size in view + model), captions
    finally:
        context.close()


def test_the_server_stops_at_once(playwright_browser):
    """SIGTERM (Ctrl+C) to a server that has loaded a model ends it in seconds (ui/state.py skips Python's
    teardown of TensorFlow, 7-15 s here)."""
    proc, url = start_app({"HWLAB_MODELS_DIR": str(ROOT / "models")})
    try:
        page = playwright_browser.new_page()
        page.goto(url)
        page.locator("canvas.upper-canvas").first.wait_for(state="visible", timeout=90_000)
        page.close()
        t0 = time.time()
        proc.terminate()
        proc.wait(30)
        assert time.time() - t0 < 4.0
    finally:
        stop_app(proc)
