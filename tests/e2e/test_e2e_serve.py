"""A class through `python -m core serve --processes 2` and nginx, in Chromium: a student (nickname set) draws
and sends on the Draw page; the teacher's Class wall shows it; the process that served the student is killed;
the student's page reconnects by itself, still knows the nickname, and goes on drawing and sending; nothing
sent is missing, on the wall or in the database."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from e2e_support import app_process_on, served_by, start_serve, stop_serve, wait_for_answer
from tests.e2e.conftest import ROOT, draw_stroke

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not os.access("/usr/sbin/nginx", os.X_OK), reason="nginx is not installed")]
NICK = "Kim-serve"


def _settled(page) -> None:
    """Until the page's run is over (no running-man status), then a second more for the canvas to be ready."""
    end = time.time() + 120
    while time.time() < end and page.locator('[data-testid="stStatusWidget"]').count():
        time.sleep(0.3)
    time.sleep(1)


def _draw_and_send(page, slant: float) -> None:
    """A stroke (a "1" leaning by `slant`: each one a different drawing), then Send, then the "Sent." line. As a
    student would, the stroke is drawn again when the canvas did not take it (it was being rebuilt)."""
    send = page.get_by_role("button", name=re.compile("Send to the class"))
    for _ in range(3):
        _settled(page)
        canvas = page.locator("canvas.upper-canvas").first
        canvas.wait_for(state="visible", timeout=120_000)
        box = canvas.bounding_box()
        x0, y0, k = box["x"], box["y"], box["width"] / 280
        draw_stroke(page, [(x0 + (140 + slant * (i - 10)) * k, y0 + (60 + i * 8) * k) for i in range(21)])
        try:
            wait_for_answer(page, 30)  # read: Send sends it (before, it says there is nothing yet)
            break
        except PlaywrightTimeout:
            pass
    send.first.click()
    page.get_by_text("Sent.").first.wait_for(timeout=60_000)


def _stored(env) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "core", "class", "list"], cwd=ROOT, env={**os.environ, **env},
                         capture_output=True, text=True, check=True).stdout
    return [row for row in map(json.loads, out.splitlines()) if row.get("student") == NICK]


def test_a_student_carries_on_when_the_process_serving_them_dies(playwright_browser, tmp_path):
    env = {"HWLAB_MODELS_DIR": str(ROOT / "models"), "HWLAB_DB_URL": f"sqlite:///{tmp_path}/class.db"}
    proc, url = start_serve(2, env)
    try:
        teacher = playwright_browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
        teacher.goto(url + "class")
        teacher.get_by_text("No drawings in this session yet").wait_for(timeout=120_000)
        student_context = playwright_browser.new_context(viewport={"width": 1280, "height": 1000})
        student = student_context.new_page()
        student.goto(url)
        name = student.get_by_label("Your name")
        name.wait_for(timeout=120_000)
        name.fill(NICK)
        name.press("Enter")
        time.sleep(1)
        for slant in (0.0, 2.0):
            _draw_and_send(student, slant)
        teacher.locator(".hw-card").filter(has_text=NICK).nth(1).wait_for(timeout=60_000)

        # The student's process: the one nginx routes the student's cookie to.
        port = served_by(student_context.request.get(url + "_stcore/health").headers)
        victim = app_process_on(proc, port)
        assert victim is not None
        victim.send_signal(signal.SIGKILL)
        victim.wait(30)

        # The page reconnects by itself (to the other process, or the restarted one) and remembers the nickname.
        end = time.time() + 180
        while time.time() < end:
            try:
                if student.get_by_label("Your name").input_value(timeout=2000) == NICK and \
                        student.locator("canvas.upper-canvas").count():
                    break
            except Exception:  # noqa: BLE001 - the page is rebuilding
                pass
            time.sleep(1)
        assert student.get_by_label("Your name").input_value() == NICK
        for slant in (-2.0, 4.0):
            _draw_and_send(student, slant)

        # Nothing sent is missing: four on the wall (which may itself have reconnected) and in the database.
        end = time.time() + 90
        while time.time() < end and teacher.locator(".hw-card").filter(has_text=NICK).count() < 4:
            time.sleep(1)
        assert teacher.locator(".hw-card").filter(has_text=NICK).count() == 4
        assert len(_stored(env)) == 4
        assert not student.get_by_text("Type a nickname first").count()
    finally:
        assert stop_serve(proc) == 0
