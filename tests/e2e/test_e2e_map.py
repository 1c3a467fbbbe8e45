"""A real Chromium on the Draw page's map of what the model learned: hovering a point shows that test image in
the tooltip, clicking it opens the image and its Explain toggle."""
import time

import pytest

pytestmark = pytest.mark.e2e


def test_hover_shows_the_image_and_a_click_explains_it(app_url, browser_page):
    page = browser_page
    page.goto(app_url)
    page.get_by_text("Map of what it learned").first.click(timeout=90_000)
    points = page.locator('[data-testid="stVegaLiteChart"] .mark-symbol path')
    points.first.wait_for(timeout=90_000)
    time.sleep(1)  # the chart settles its layout
    assert points.count() >= 100
    point = points.nth(40)
    point.hover(force=True)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.locator("img").wait_for(timeout=10_000)
    assert tooltip.locator("img").get_attribute("src").startswith("data:image/png;base64,")
    shown = tooltip.locator("h2").inner_text()  # "test image #N"
    assert shown.startswith("test image #")
    point.click(force=True)
    page.get_by_text(shown.replace("test", "Test")).first.wait_for(timeout=60_000)  # that image, opened
    page.get_by_text("Explain this image (SHAP and activations)").wait_for(timeout=30_000)
