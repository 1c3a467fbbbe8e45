"""In the browser: time from `streamlit run` to the first prediction, and from mouse-up to the
prediction shown, over real pen drawings replayed with the mouse in Chromium (median of N), beside
a full page reload's time to the same prediction (the baseline a fragment avoids), measured in the same run.

    python benchmarks/browser_latency.py [--drawings 12]"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time

import _setup  # noqa: F401  (paths and data folder)
from playwright.sync_api import sync_playwright

from core.datasets.strokes import read_samples
from e2e_support import CHROMIUM, CHROMIUM_ARGS, canvas_points, draw_stroke, start_app, wait_for_answer

PEN = _setup.ROOT.parent / "shared" / "datasets" / "pen-strokes" / "pendigits-train-writers.jsonl.gz"


def one_stroke_digits(n):
    out = []
    for i, s in enumerate(read_samples(PEN)):
        if len(s["strokes"]) == 1:
            out.append((i, s))
        if len(out) >= n:
            break
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--drawings", type=int, default=12)
    a = ap.parse_args(argv)
    samples = one_stroke_digits(a.drawings)
    t_start = time.time()
    proc, url = start_app({"HWLAB_MODELS_DIR": str(_setup.ROOT / "models")})
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            clear = page.get_by_role("button", name=re.compile("Clear"))
            canvas = page.locator("canvas.upper-canvas").first

            def draw(i, s):
                canvas.wait_for(state="visible", timeout=90_000)
                draw_stroke(page, canvas_points(s["strokes"], i, canvas.bounding_box())[0])
                t0 = time.time()
                got = wait_for_answer(page)
                return time.time() - t0, got

            page.goto(url)
            time.sleep(0.5)
            first, _ = draw(*samples[0])
            cold = time.time() - t_start
            fragment, right = [], 0
            for i, s in samples:
                clear.click()
                page.get_by_text("Draw a digit on the black canvas").wait_for(timeout=60_000)
                time.sleep(0.5)  # the new canvas takes a moment to take mouse input, as a person would
                try:
                    dt, got = draw(i, s)
                except Exception:
                    page.screenshot(path="/tmp/browser-latency-failure.png")
                    raise
                fragment.append(dt)
                right += got == s["label"]
            reload = []
            for i, s in samples[: max(3, a.drawings // 3)]:
                page.goto(url)  # baseline: a fresh session and a whole-page run per drawing
                t0 = time.time()
                time.sleep(0.5)
                dt, _ = draw(i, s)
                reload.append(time.time() - t0)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"from `streamlit run` to the first prediction in the browser: {cold:.1f} s (first stroke {first:.2f} s)")
    print(f"mouse-up -> prediction, {len(fragment)} drawings: median {statistics.median(fragment):.2f} s, "
          f"max {max(fragment):.2f} s ({right}/{len(fragment)} right)")
    print(f"baseline, page load + drawing -> prediction in a fresh session: median {statistics.median(reload):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
