"""A real Chromium on the insight pages: click a confusion-matrix cell and see its test images (then
explain one); draw on the Draw page, turn on the explanation and see the SHAP maps appear.
Uses the fixtures of tests/e2e/conftest.py (app_url: the app on the shipped models; browser_page)."""
import json
import re

import pytest

from e2e_support import ROOT, draw_stroke

pytestmark = pytest.mark.e2e
TIMEOUT = 90_000


def _images_with_caption(page, pattern: str):
    """Loaded images whose caption matches `pattern` (st.image puts the caption beside the <img>)."""
    return page.evaluate(
        """(pat) => [...document.querySelectorAll('[data-testid="stImage"], [data-testid="stImageContainer"]')]
              .map(e => e.closest('[data-testid="stElementContainer"]') || e)
              .filter(e => new RegExp(pat).test(e.innerText))
              .filter(e => [...e.querySelectorAll('img')].some(i => i.complete && i.naturalWidth > 0)).length""",
        pattern)


def _wait_images(page, pattern: str, n: int):
    page.wait_for_function(
        """([pat, n]) => [...document.querySelectorAll('[data-testid="stImage"], [data-testid="stImageContainer"]')]
              .map(e => e.closest('[data-testid="stElementContainer"]') || e)
              .filter(e => new RegExp(pat).test(e.innerText))
              .filter(e => [...e.querySelectorAll('img')].some(i => i.complete && i.naturalWidth > 0)).length >= n""",
        arg=[pattern, n], timeout=TIMEOUT)


def _a_cell(name: str) -> tuple[str, str, int]:
    """An off-diagonal cell with mistakes that is not the page's default (the most-confused pair)."""
    ev = json.loads((ROOT / "models" / name / "evaluation.json").read_text())
    first = ev["most_confused"][0]
    for d in ev["most_confused"][1:]:
        if (d["true"], d["predicted"]) != (first["true"], first["predicted"]):
            return str(d["true"]), str(d["predicted"]), int(d["count"])
    raise AssertionError("the shipped model has a single confused pair")


def test_click_a_confusion_cell_shows_its_examples_and_explains_one(app_url, browser_page):
    page = browser_page
    page.goto(app_url)  # through the navigation: the sidebar's model picker runs first
    page.get_by_role("link", name=re.compile("Evaluation")).click()
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.wait_for(state="visible", timeout=TIMEOUT)
    name = page.locator('[data-testid="stMarkdown"] code').first.inner_text().strip()  # the model shown
    card = ROOT / "models" / name / "card.json"
    assert card.is_file(), name
    classes = [str(c) for c in json.loads(card.read_text())["classes"]]
    true, predicted, count = _a_cell(name)
    plot = chart.locator(".js-plotly-plot").first
    plot.wait_for(state="attached", timeout=TIMEOUT)
    page.wait_for_timeout(500)  # let plotly finish its layout
    ti, pj = classes.index(true), classes.index(predicted)
    # the cell's centre on the page, from plotly's own axes (category k sits at linear coordinate k)
    x, y = plot.evaluate("""(el, [i, j]) => { const L = el._fullLayout, r = el.getBoundingClientRect();
        return [r.left + L.xaxis._offset + L.xaxis.l2p(j), r.top + L.yaxis._offset + L.yaxis.l2p(i)]; }""", [ti, pj])
    page.mouse.click(x, y)

    heading = f"True {true}, predicted {predicted}: {count} test image"
    page.get_by_text(heading).wait_for(timeout=TIMEOUT)
    page.get_by_text(f"Test images of the cell true {true} → predicted {predicted}").wait_for(timeout=TIMEOUT)
    _wait_images(page, r"^#\d+ · \d+%", min(count, 8))  # the cell's test images, captioned "#index · confidence"
    assert _images_with_caption(page, r"^#\d+ · \d+%") >= min(count, 8)

    # An example opens its explanation: SHAP maps for the top 3 classes.
    page.get_by_role("button", name="Explain").first.click()
    _wait_images(page, "^SHAP for", 3)
    assert _images_with_caption(page, "^SHAP for") >= 3


def test_draw_then_explain_shows_attribution_images(app_url, browser_page):
    page = browser_page
    page.goto(app_url)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(state="visible", timeout=TIMEOUT)
    box = canvas.bounding_box()
    x0, y0, k = box["x"], box["y"], box["width"] / 280
    draw_stroke(page, [(x0 + (120 + i * 2) * k, y0 + (60 + i * 8) * k) for i in range(21)])  # a slanted "1"
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                           ".some(e => e.innerText.trim().length > 0)", timeout=TIMEOUT)
    assert not _images_with_caption(page, "^SHAP for")  # off by default: plain drawing stays fast
    page.get_by_text("Explain this drawing (SHAP and activations)").click()
    _wait_images(page, "^SHAP for", 3)
    assert _images_with_caption(page, "^SHAP for") >= 3
    page.get_by_text(re.compile("Red pixels push the model")).wait_for(timeout=TIMEOUT)
    # the activations follow: feature-map grids of the convolution layers, captioned in plain words
    _wait_images(page, r"\d+\. convolution \(pattern detectors\): \d+ maps of \d+×\d+", 1)
