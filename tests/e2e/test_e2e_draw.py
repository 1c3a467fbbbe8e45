"""A real Chromium draws on the Draw page with the mouse and reads the prediction."""
import math
import re
import time

import pytest

from e2e_support import draw_stroke, shows_no_answer, wait_for_answer

pytestmark = pytest.mark.e2e


def _canvas(page):
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(state="visible", timeout=90_000)
    time.sleep(0.5)  # a fresh canvas takes a moment to take mouse input
    return canvas, canvas.bounding_box()


def test_draw_a_one_then_a_zero(app_url, browser_page):
    page = browser_page
    page.goto(app_url)
    canvas, box = _canvas(page)
    x0, y0, k = box["x"], box["y"], box["width"] / 280
    draw_stroke(page, [(x0 + 140 * k, y0 + (60 + i * 8) * k) for i in range(21)])  # a "1"
    assert wait_for_answer(page) == "1"

    page.get_by_role("button", name=re.compile("Clear")).click()
    page.get_by_text("Draw a digit on the black canvas").wait_for(timeout=60_000)
    assert shows_no_answer(page)  # Clear took the answer away with the drawing
    canvas, box = _canvas(page)
    x0, y0, k = box["x"], box["y"], box["width"] / 280
    ring = [(x0 + (140 + 55 * math.sin(t / 24 * 2 * math.pi)) * k, y0 + (140 - 80 * math.cos(t / 24 * 2 * math.pi)) * k)
            for t in range(26)]
    draw_stroke(page, ring)  # a "0"
    assert wait_for_answer(page) == "0"
