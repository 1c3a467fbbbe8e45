"""A real Chromium writes "170" on the Draw page's wide canvas ("Write several characters") and reads it."""
import math
import re
import time

import pytest

from tests.e2e.conftest import draw_stroke

pytestmark = pytest.mark.e2e


def _wide_canvas(page):
    for _ in range(180):
        for c in page.locator("canvas.upper-canvas").all():
            box = c.bounding_box()
            if box and box["width"] > 500:
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
    value = page.locator('[data-testid="stMetric"]').filter(has_text=re.compile("Read")).locator(
        '[data-testid="stMetricValue"]').first
    value.wait_for(state="visible", timeout=90_000)
    deadline = time.time() + 60
    while value.inner_text().strip() != "170" and time.time() < deadline:
        time.sleep(0.5)
    assert value.inner_text().strip() == "170"
