"""Screenshots of the Draw page on the classroom's screens (e2e_support.SCREENS), as it opens and after one
real pen digit drawn by touch (phone, tablets) or with the mouse; the projector also in the presenter view.
Prints, for each, whether the canvas is wholly on screen and uncovered and where the prediction landed.

    python tools/screenshots.py [--out /tmp/hwlab-shots] [--page models] [--screens phone,laptop]"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from playwright.sync_api import sync_playwright  # noqa: E402

from core import config
from core.datasets.strokes import read_samples  # noqa: E402
from e2e_support import (CHROMIUM, CHROMIUM_ARGS, ROOT, SCREENS, TOUCH_SCREENS, UNCOVERED_JS, canvas_points,  # noqa: E402
                         draw_stroke, inside_screen, start_app, stop_app, touch_context, touch_stroke)

PEN = config.data_dir() / "pen-strokes" / "pendigits-train-writers.jsonl.gz"


def a_seven():
    return next((i, s) for i, s in enumerate(read_samples(PEN)) if s["label"] == "7" and len(s["strokes"]) == 1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/hwlab-shots")
    ap.add_argument("--page", default="", help="a page path such as 'models'; only the page as it opens")
    ap.add_argument("--screens", default=",".join(SCREENS), help="comma-separated, of: " + ", ".join(SCREENS))
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    idx, sample = a_seven()
    proc, url = start_app({"HWLAB_MODELS_DIR": str(ROOT / "models")})
    screens = a.screens.split(",")
    runs = [(s, "") for s in screens] + ([("projector", "?present=1")] if "projector" in screens and not a.page else [])
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for screen, query in runs:
                w, h = SCREENS[screen]
                touch = screen in TOUCH_SCREENS
                ctx = touch_context(browser, screen) if touch else browser.new_context(viewport={"width": w, "height": h})
                page = ctx.new_page()
                name = f"{a.page or 'draw'}-{screen}{'-present' if query else ''}"
                page.goto(url + a.page + query)
                if a.page:  # the page is there once its first table, chart, figure, form (Train) or the wall's
                    page.locator('[data-testid="stDataFrame"]:visible, [data-testid="stPlotlyChart"]:visible, '  # counters
                                 '[data-testid="stMetric"]:visible, [data-testid="stForm"]:visible, '
                                 '.hw-counters:visible'  # the class wall
                                 ).first.wait_for(state="visible", timeout=120_000)
                    time.sleep(3)
                    page.screenshot(path=str(out / f"{name}.png"))
                    ctx.close()
                    continue
                canvas = page.locator("canvas.upper-canvas").first
                canvas.wait_for(state="visible", timeout=90_000)
                time.sleep(1.5)
                page.screenshot(path=str(out / f"{name}-open.png"))
                box = canvas.bounding_box()
                whole = inside_screen(box, w, h) and canvas.evaluate(UNCOVERED_JS)
                stroke = canvas_points(sample["strokes"], idx, box)[0]
                if touch:
                    touch_stroke(ctx.new_cdp_session(page), stroke)
                else:
                    draw_stroke(page, stroke)
                metric = page.locator('[data-testid="stMetric"]').filter(has_text=re.compile("Prediction")).locator(
                    '[data-testid="stMetricValue"]').first
                page.wait_for_function("el => /^[0-9A-Za-z]/.test(el.innerText.trim())",
                                       arg=metric.element_handle(), timeout=60_000)
                time.sleep(1.0)
                page.screenshot(path=str(out / f"{name}.png"))
                scrolled = page.evaluate("window.scrollY")
                print(f"{name}: canvas {box['width']:.0f} px at ({box['x']:.0f}, {box['y']:.0f}), wholly on screen and "
                      f"uncovered: {whole}; prediction {metric.inner_text().strip()!r} on screen: "
                      f"{inside_screen(metric.bounding_box(), w, h)} (bottom at {metric.bounding_box()['y'] + metric.bounding_box()['height']:.0f} of {h}); page scrolled by {scrolled}")
                ctx.close()
            browser.close()
    finally:
        stop_app(proc)
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
