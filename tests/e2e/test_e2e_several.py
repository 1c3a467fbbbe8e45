"""A real Chromium writes "170" on the Draw page's wide canvas ("Write several characters") and reads it."""
import math
import re
import time

import pytest

from e2e_support import touch_context, touch_stroke
from tests.e2e.conftest import draw_stroke

pytestmark = pytest.mark.e2e


def _wide_canvas(page, min_width=500):
    for _ in range(180):
        for c in page.locator(".st-key-wide_canvas canvas.upper-canvas").all():
            box = c.bounding_box()
            if box and box["width"] > min_width:
                time.sleep(0.5)  # a fresh canvas takes a moment to take mouse input
                return box
        time.sleep(0.5)
    raise AssertionError("the wide canvas did not appear")


def test_write_three_digits_and_read_them(app_url, browser_page):
    page = browser_page
    page.goto(app_url)
    page.locator("canvas.upper-canvas").first.wait_for(state="visible", timeout=90_000)
    page.get_by_text("Write several characters").click()
    box = _wide_canvas(page)
    x0, y0 = box["x"], box["y"]
    draw_stroke(page, [(x0 + 120, y0 + 60 + i * 8) for i in range(21)])  # 1
    draw_stroke(page, [(x0 + 330, y0 + 60), (x0 + 440, y0 + 60), (x0 + 370, y0 + 230)], steps=8)  # 7
    draw_stroke(page, [(x0 + 620 + 55 * math.sin(t / 24 * 2 * math.pi), y0 + 140 - 80 * math.cos(t / 24 * 2 * math.pi))
                       for t in range(26)])  # 0
    assert _read(page) == "170"


def _read(page) -> str:
    """The "Read" metric, once it says 170 (or after 60 s)."""
    value = page.locator('[data-testid="stMetric"]').filter(has_text=re.compile("Read")).locator(
        '[data-testid="stMetricValue"]').first
    value.wait_for(state="visible", timeout=90_000)
    deadline = time.time() + 60
    while value.inner_text().strip() != "170" and time.time() < deadline:
        time.sleep(0.5)
    return value.inner_text().strip()


def test_the_wide_canvas_fits_a_phone_and_reads_touch(app_url, playwright_browser):
    """On a 390 px phone the 840 px canvas is drawn smaller, wholly on screen and tall enough to write in; a finger
    writes "170" on it, and the answers over the boxes are as legible as the page's text."""
    context = touch_context(playwright_browser, "phone")
    try:
        page = context.new_page()
        page.goto(app_url)
        page.get_by_text("Write several characters").click(timeout=90_000)
        box = _wide_canvas(page, min_width=100)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] > 300, box  # all of it, no scroll
        assert box["height"] >= 150, box  # 840x280 was 353x118 px here: too flat to write a word in with a finger
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390  # nothing sticks out sideways
        s, x0, y0 = box["width"] / 840, box["x"], box["y"]

        def at(x, y):
            return x0 + x * s, y0 + y * s

        cdp = context.new_cdp_session(page)
        touch_stroke(cdp, [at(120, 60 + i * 8) for i in range(21)])  # 1
        time.sleep(2)
        touch_stroke(cdp, [at(330 + 110 * t / 8, 60) for t in range(9)] +
                     [at(440 - 70 * t / 10, 60 + 170 * t / 10) for t in range(1, 11)])  # 7
        time.sleep(2)
        touch_stroke(cdp, [at(620 + 55 * math.sin(t / 24 * 2 * math.pi), 140 - 80 * math.cos(t / 24 * 2 * math.pi))
                           for t in range(26)])  # 0
        assert _read(page) == "170"
        labels = page.locator(".hw-boxes span")
        assert [t.split()[0] for t in labels.all_inner_texts()] == list("170")  # "1 97%", "7 99%", "0 99%"
        picture = page.locator(".hw-boxes img").bounding_box()
        assert picture["width"] < 400  # the picture is shown at the phone's width, less than half its pixels
        heights = [b["height"] for b in (label.bounding_box() for label in labels.all())]
        assert min(heights) >= 12, heights  # labels drawn into the picture's pixels were about 5 px tall
    finally:
        context.close()
