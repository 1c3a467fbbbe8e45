"""Browser fixtures: `streamlit run app.py` in a subprocess on a free port, and a Playwright page in
Debian's Chromium (/usr/bin/chromium; no browser download). Skipped where either is missing. What the
benchmarks share with these tests lives in e2e_support/ (no pytest there)."""
import os

import pytest

from e2e_support import CHROMIUM, CHROMIUM_ARGS, ROOT, draw_stroke, start_app, stop_app  # noqa: F401


@pytest.fixture(scope="session")
def playwright_browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def app_url():
    """A running app on the shipped models (models/)."""
    proc, url = start_app({"HWLAB_MODELS_DIR": str(ROOT / "models")})
    yield url
    stop_app(proc)


@pytest.fixture
def browser_page(playwright_browser):
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    yield page
    context.close()
