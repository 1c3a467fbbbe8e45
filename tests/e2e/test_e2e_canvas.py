"""The whole black square takes ink, by touch and with the mouse: a stroke that starts 12 px below the canvas's
top-right corner draws and is read, and a tap there leaves a finished drawing as it was (streamlit-drawable-
canvas's invisible toolbar used to lie there: ui/ink_canvas.py). On a phone, the canvas, the answer and "Your
name" / "Send to the class" are on one screen. Uses the fixtures of tests/e2e/conftest.py."""
import re
import time

import pytest

from e2e_support import (SCREENS, draw_stroke, inside_screen, shows_no_answer, touch_context, touch_stroke,
                         wait_for_answer)

pytestmark = pytest.mark.e2e
CORNER = (280 - 12, 12)  # canvas px: 12 px below the top-right corner, 12 px in from its right edge

# The canvas's ink: (how many pixels are bright, whether each of `points` (canvas px) is bright), read from the
# picture Fabric draws finished strokes on (the lower of its two canvases).
INK_JS = """(el, points) => { const c = el.getRootNode().querySelector('canvas.dc-canvas.lower-canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, k = c.width / 280;
  const bright = (x, y) => d[4 * (Math.round(y * k) * c.width + Math.round(x * k))] > 128;
  let n = 0; for (let i = 0; i < d.length; i += 4) n += d[i] > 128;
  return [n, points.map(([x, y]) => bright(x, y))]; }"""


def _on_page(box, pts):
    k = box["width"] / 280
    return [(box["x"] + x * k, box["y"] + y * k) for x, y in pts]


def _ink(canvas, pts):
    return canvas.evaluate(INK_JS, [list(p) for p in pts])


@pytest.mark.parametrize("screen", ["phone", "laptop"])
def test_a_stroke_from_the_top_right_corner_draws_and_a_tap_there_erases_nothing(app_url, playwright_browser,
                                                                                   screen):
    w, h = SCREENS[screen]
    by_touch = screen == "phone"
    context = touch_context(playwright_browser, screen) if by_touch else \
        playwright_browser.new_context(viewport={"width": w, "height": h})
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page) if by_touch else None

        def stroke(points):
            (touch_stroke(cdp, points) if by_touch else draw_stroke(page, points))

        page.goto(app_url)
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(state="visible", timeout=90_000)
        time.sleep(0.7)  # a fresh canvas takes a moment to take input
        box = canvas.bounding_box()
        assert shows_no_answer(page)

        line = [(CORNER[0] - i * 6, CORNER[1] + i * 12) for i in range(21)]  # down and to the left, from the corner
        stroke(_on_page(box, line))
        assert wait_for_answer(page)  # the stroke reached the model...
        inked, (at_corner, halfway) = _ink(canvas, [CORNER, line[10]])
        assert at_corner and halfway and inked > 2000  # ...and its ink is on the canvas from its very start

        if by_touch:  # a phone: draw, answer and send on one screen
            name = page.get_by_label("Your name")
            send = page.get_by_role("button", name=re.compile("Send to the class"))
            send.wait_for(state="visible", timeout=60_000)
            for element in (canvas, page.locator('[data-testid="stMetric"]').first, name, send):
                assert inside_screen(element.bounding_box(), w, h), element.bounding_box()
            assert page.evaluate("window.scrollY") == 0

        stroke(_on_page(box, [CORNER]))  # a tap where the toolbar's reset used to be
        time.sleep(3)  # what a reset would have taken away (the canvas and its answer) has had time to go
        inked_after, (still_at_corner, still_halfway) = _ink(canvas, [CORNER, line[10]])
        assert still_at_corner and still_halfway and inked_after >= inked
        assert not shows_no_answer(page)
    finally:
        context.close()
