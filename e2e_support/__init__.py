"""What the browser tests and the benchmarks share, with no pytest in it: start `streamlit run app.py` on a
free port, Debian's Chromium and its arguments, the screen sizes the app is checked on, and drawing a stroke
on the canvas with the mouse or by touch (Chromium's CDP touch events)."""
from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# The screens of a classroom (width, height in CSS pixels); the Draw page must fit each as it opens.
SCREENS = {"phone": (390, 844), "tablet": (820, 1180), "tablet-landscape": (1180, 820),
           "laptop": (1366, 768), "projector": (1920, 1080)}
TOUCH_SCREENS = ("phone", "tablet")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env_extra: dict | None = None, timeout: float = 90.0, port: int | None = None):
    """(process, url) of a fresh `streamlit run app.py` (on `port`, else a free one), once its health check answers."""
    port = port or free_port()
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


def stop_app(proc) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def start_serve(processes: int, env_extra: dict | None = None, timeout: float = 300.0):
    """(process, url) of `python -m core serve --processes N` on a free port, once it says its address (every
    app process answered its health check and nginx listens)."""
    port = free_port()
    env = {**os.environ, **(env_extra or {})}
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"hwlab-serve-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "core", "serve", "--processes", str(processes), "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:  # serve prints one line on stdout once it is up
        line = proc.stdout.readline()
        if line.startswith("Handwriting Lab:"):
            return proc, url
    proc.kill()
    raise RuntimeError(f"serve did not start; see {log.name}")


def stop_serve(proc, timeout: float = 60.0) -> int:
    """SIGTERM, as a service manager stops it; its exit code."""
    proc.terminate()
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def served_by(response_headers) -> int:
    """The loopback port of the app process that answered a request through serve's nginx (X-Served-By), from
    a response's headers (urllib's, or Playwright's lower-case dict)."""
    return int((response_headers.get("x-served-by") or response_headers.get("X-Served-By")).rsplit(":", 1)[1])


def app_process_on(serve_proc, port: int):
    """The psutil.Process of serve's app process listening on `port` (None while there is none)."""
    import psutil

    for child in psutil.Process(serve_proc.pid).children():
        try:
            if any(c.laddr.port == port and c.status == psutil.CONN_LISTEN for c in child.net_connections("tcp")):
                return child
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return None


def touch_context(browser, screen: str):
    """A Chromium context like a phone or tablet of that size: touch, mobile viewport, a 2x screen."""
    w, h = SCREENS[screen]
    return browser.new_context(viewport={"width": w, "height": h}, has_touch=True, is_mobile=True,
                               device_scale_factor=2)


def draw_stroke(page, points, steps: int = 2) -> None:
    """Draw one stroke with the mouse through `points` (page coordinates)."""
    page.mouse.move(*points[0])
    page.mouse.down()
    for pt in points[1:]:
        page.mouse.move(*pt, steps=steps)
    page.mouse.up()


def touch_stroke(cdp, points) -> None:
    """Draw one stroke with a finger through `points` (page coordinates), by CDP touch events; `cdp` is
    `context.new_cdp_session(page)`."""
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": points[0][0], "y": points[0][1]}]})
    for x, y in points[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def canvas_points(strokes, index: int, box: dict, canvas: int = 280):
    """Where a pen sample's points land on the canvas element in the page: the drawn-input protocol's placement
    (core/datasets/strokes.py: random.Random(index) draws the scale, then x, then y), scaled to the element's box."""
    rng = random.Random(index)
    pts = [(x, -y) for s in strokes for x, y in s]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, y0 = min(xs), min(ys)
    span = max(max(xs) - x0, max(ys) - y0, 1e-6)
    scale = rng.uniform(0.45, 0.85) * canvas / span
    w, h = (max(xs) - x0) * scale, (max(ys) - y0) * scale
    margin = 11
    ox = rng.uniform(margin, max(margin, canvas - margin - w))
    oy = rng.uniform(margin, max(margin, canvas - margin - h))
    kx, ky = box["width"] / canvas, box["height"] / canvas
    return [[(box["x"] + ((x - x0) * scale + ox) * kx, box["y"] + ((-y - y0) * scale + oy) * ky) for x, y in s]
            for s in strokes]


def inside_screen(box: dict | None, width: int, height: int, slack: float = 2) -> bool:
    """Whether an element's bounding box lies wholly inside the screen (no scrolling needed to see it)."""
    return box is not None and box["x"] >= -slack and box["y"] >= -slack and \
        box["x"] + box["width"] <= width + slack and box["y"] + box["height"] <= height + slack


# For locator.evaluate on the canvas: whether its corners and centre are the topmost element there (nothing
# lies over it, neither a sidebar nor a column next to it).
UNCOVERED_JS = """(el) => { const r = el.getBoundingClientRect(), root = el.getRootNode();
  const pts = [[r.left + 4, r.top + 4], [r.right - 4, r.top + 4], [r.left + 4, r.bottom - 4],
               [r.right - 4, r.bottom - 4], [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
  return pts.every(([x, y]) => { const e = root.elementFromPoint(x, y); return e && root.contains(e); }); }"""


# The Draw page's answer: the text of the first "Prediction" metric once it starts with a letter or a digit
# (before a drawing that metric holds a dash, ui/views.PLACEHOLDER), else null. A function, not a locator: a
# locator's wait looks again after 0, 20, 70, 170 and 270 ms and then every 500 ms, which rounded every time
# we measured up to its next look (0.46 s shown was 0.87 s measured).
ANSWER_JS = """() => { for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    if (!/Prediction/.test(m.innerText)) continue;
    const v = m.querySelector('[data-testid="stMetricValue"]'), t = v ? v.innerText.trim() : "";
    return /^[0-9A-Za-z]/.test(t) ? t : null; }
  return null; }"""


def settled(page) -> None:
    """Until the page has its title and its run is over (no running-man status), then a second more."""
    page.locator("h1").first.wait_for(timeout=90_000)
    end = time.time() + 60
    while time.time() < end and page.locator('[data-testid="stStatusWidget"]').count():
        time.sleep(0.2)
    time.sleep(1)


def wait_for_answer(page, timeout_s: float = 60) -> str:
    """Wait for the Draw page's answer, looked for at every frame, and return it (e.g. "7")."""
    return page.wait_for_function(ANSWER_JS, timeout=timeout_s * 1000).json_value()


def shows_no_answer(page) -> bool:
    """Whether the Draw page shows no answer now (its verdict holds the dash, or there is none)."""
    return page.evaluate(ANSWER_JS) is None
