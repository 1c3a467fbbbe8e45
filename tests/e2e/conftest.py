"""Browser fixtures: `streamlit run app.py` in a subprocess on a free port, and a Playwright page in
Debian's Chromium (/usr/bin/chromium; no browser download). Skipped where either is missing."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env_extra: dict | None = None, timeout: float = 90.0):
    """(process, url) of a fresh `streamlit run app.py`, once its health check answers."""
    port = _free_port()
    env = {**os.environ, **(env_extra or {})}
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"hwlab-e2e-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            break
    proc.terminate()
    raise RuntimeError(f"streamlit did not start; see {log.name}")


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
    env = {"HWLAB_MODELS_DIR": str(ROOT / "models")}
    proc, url = start_app(env)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def browser_page(playwright_browser):
    context = playwright_browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def draw_stroke(page, points, steps: int = 2) -> None:
    """Draw one stroke with the mouse through `points` (page coordinates)."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for pt in points[1:]:
        page.mouse.move(*pt, steps=steps)
    page.mouse.up()
