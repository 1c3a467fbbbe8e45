"""Every student can use it (WCAG 2.1 AA), in Chromium: axe-core finds no critical or serious violation on any page
at phone, laptop and projector sizes (the Draw page also after a sample is read, the Class page with a card on the
wall); the keyboard alone reaches "Try a sample", gets a prediction, turns "Explain" on, sends it to the class and
opens its card on the Class page, with a visible focus ring; the live region says "Read as ..." after a drawing,
and a reader who asks for reduced motion gets no transitions."""
import re
import time

import pytest

from e2e_support import draw_stroke, wait_for_answer
from tests.e2e.conftest import ROOT, start_app, stop_app

pytestmark = pytest.mark.e2e
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

PAGES = ["", "models", "evaluation", "datasets", "train", "class", "?present=1"]
SIZES = {"phone": (390, 844), "laptop": (1366, 768), "projector": (1920, 1080)}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LIVE_JS = "() => [...document.querySelectorAll('[aria-live]')].map(e => e.innerText).join(' | ')"
SENTENCE = re.compile(r"Read as (\S+), \d+% sure; next: \S+, \d+%")


@pytest.fixture(scope="module")
def class_app(tmp_path_factory):
    """The app on the shipped models with a class database of its own (the keyboard test sends to it)."""
    db = tmp_path_factory.mktemp("a11y") / "class.db"
    proc, url = start_app({"HWLAB_MODELS_DIR": str(ROOT / "models"), "HWLAB_DB_URL": f"sqlite:///{db}"})
    yield url
    stop_app(proc)


def _settled(page, timeout_s: float = 90):
    page.locator("h1").first.wait_for(state="attached", timeout=timeout_s * 1000)
    end = time.time() + 60
    while time.time() < end and page.locator('[data-testid="stStatusWidget"]').count():
        time.sleep(0.3)
    time.sleep(1.5)


def _serious(axe, page, where: str) -> list[str]:
    """One line per critical or serious violation: the page, the rule and the element."""
    found = axe.run(page, options={"runOnly": {"type": "tag", "values": TAGS}}).response.get("violations", [])
    return [f"{where}: {v['id']} ({v['impact']}) at {n['target']}: {n['html'][:120]}"
            for v in found if v.get("impact") in ("critical", "serious") for n in v.get("nodes", [])]


def _tab_to(page, test_js: str, presses: int = 150, shift: bool = False) -> bool:
    """Press Tab (Shift+Tab) until the focused element passes `test_js` (a function of the element)."""
    for _ in range(presses):
        page.keyboard.press("Shift+Tab" if shift else "Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({test_js})(e); }}"):
            return True
    return False


def _named(text: str) -> str:
    """An element's visible text, else its aria-label, holds `text` (as ../shared/tools/e2e_a11y.py reads it)."""
    return f"(e) => (e.innerText || e.getAttribute('aria-label') || '').includes({text!r})"


def test_no_serious_axe_violation_on_any_page_or_size(playwright_browser, class_app):
    axe = axe_sync.Axe()
    problems = []
    for size, (w, h) in SIZES.items():
        page = playwright_browser.new_page(viewport={"width": w, "height": h})
        try:
            for path in PAGES:
                page.goto(class_app + path)
                _settled(page)
                problems += _serious(axe, page, f"{size} /{path}")
            page.goto(class_app)  # and the Draw page once it has read something
            _settled(page)
            page.get_by_role("button", name="Try a sample").click()
            page.wait_for_function(f"() => /Read as/.test(({LIVE_JS})())", timeout=60_000)
            time.sleep(1)
            problems += _serious(axe, page, f"{size} / after a sample")
        finally:
            page.close()
    assert not problems, "\n".join(problems)


def test_the_keyboard_alone_reads_explains_sends_and_opens_a_card(playwright_browser, class_app):
    page = playwright_browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.goto(class_app)
        _settled(page)
        page.get_by_text("Prediction").first.wait_for(timeout=90_000)
        assert _tab_to(page, _named("Try a sample")), "Tab never reached Try a sample"
        ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineColor]; }")
        assert ring == ["solid", "rgb(194, 37, 92)"], ring  # a visible focus ring in the theme's pink
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => /Read as \\S+/.test(({LIVE_JS})())", timeout=30_000)
        said = SENTENCE.search(page.evaluate(LIVE_JS))
        assert said and said.group(1) == wait_for_answer(page)  # the sentence says the answer shown

        assert _tab_to(page, "(e) => e.getAttribute('aria-label') === 'Your name' || "
                             "(e.labels && [...e.labels].some(l => l.innerText.includes('Your name')))")
        page.keyboard.type("Kim-kb")
        assert _tab_to(page, _named("Send to the class"))
        page.keyboard.press("Enter")
        page.get_by_text("is on the class wall").wait_for(timeout=30_000)
        time.sleep(1)
        focused = page.evaluate("() => document.activeElement.innerText || ''")
        assert "Send to the class" in focused, f"focus fell to {focused!r} after the send"

        assert _tab_to(page, _named("Try a sample"), shift=True)  # back up to the sample, read it again
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => /Read as/.test(({LIVE_JS})())", timeout=30_000)
        assert _tab_to(page, "(e) => e.getAttribute('role') === 'switch' && "
                             "e.closest('label') && e.closest('label').innerText.includes('Explain this drawing')")
        page.keyboard.press("Space")
        page.get_by_text("Why? SHAP attributions").wait_for(timeout=120_000)

        page.goto(class_app + "class")
        _settled(page)
        page.locator(".hw-card").first.wait_for(timeout=60_000)
        assert _tab_to(page, "(e) => e.classList.contains('hw-card')"), "Tab never reached a wall card"
        name = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
        assert re.match(r"Kim-kb drew \S+, read as \S+, \d+%", name), name
        focused_id = page.evaluate("() => document.activeElement.dataset.id")
        other = playwright_browser.new_page(viewport={"width": 1366, "height": 768})  # another student sends one
        try:
            other.goto(class_app)
            other.get_by_label("Your name").fill("Lou-kb")
            other.get_by_label("Your name").press("Enter")
            other.get_by_role("button", name="Try a sample").click()
            other.get_by_role("button", name="Send to the class").click()
            other.get_by_text("is on the class wall").wait_for(timeout=30_000)
        finally:
            other.close()
        page.wait_for_function("() => document.querySelectorAll('.hw-card').length >= 2", timeout=30_000)
        time.sleep(0.5)
        assert page.evaluate("() => document.activeElement.dataset.id") == focused_id, "the refresh took the focus"
        page.keyboard.press("Enter")
        page.get_by_text(re.compile(r"Drawing \d+: meant")).wait_for(timeout=60_000)
    finally:
        page.close()


def test_the_live_region_says_the_answer_after_a_drawing(playwright_browser, class_app):
    page = playwright_browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.emulate_media(reduced_motion="reduce")
        page.goto(class_app)
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(state="visible", timeout=90_000)
        assert not SENTENCE.search(page.evaluate(LIVE_JS))  # nothing said before anything is drawn
        time.sleep(0.5)
        box = canvas.bounding_box()
        x0, y0, k = box["x"], box["y"], box["width"] / 280
        draw_stroke(page, [(x0 + 140 * k, y0 + (60 + i * 8) * k) for i in range(21)])  # a "1"
        answer = wait_for_answer(page)
        page.wait_for_function(f"() => /Read as/.test(({LIVE_JS})())", timeout=30_000)
        said = SENTENCE.search(page.evaluate(LIVE_JS))
        assert said and said.group(1) == answer == "1"
        assert page.locator('[aria-live="polite"]').count() >= 1
        # Asked for no motion: the sidebar no longer slides (Streamlit gives it a 0.3 s transition)
        slide = page.locator('[data-testid="stSidebar"]').evaluate(
            "(e) => Math.max(...getComputedStyle(e).transitionDuration.split(',').map(parseFloat))")
        assert slide < 0.001, slide
    finally:
        page.close()
