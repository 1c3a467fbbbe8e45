"""Two class rooms on one server, in Chromium (the flow of ../shared/tools/e2e_rooms.py against one plain
`streamlit run`): two teachers each unlock and open a room on the Class page ("Room name", "Open a room"), which
shows "Join code: CODE" and its QR code; one student joins room A by its link (/?room=CODE), another joins room B
by typing the code into "Join a class"; each sends a drawing; each room's wall (/class?room=CODE) shows its own
student and never the other's; a third browser in room A is refused the first student's nickname."""
import re
import time

import pytest

from e2e_support import settled as _settled, wait_for_answer
from tests.e2e.conftest import ROOT, draw_stroke, start_app, stop_app

pytestmark = pytest.mark.e2e
CODE = re.compile(r"Join code:?\s*([A-Z0-9]{6})")
PASSWORD = "tulip-42"


def _open_room(page, url, name):
    page.goto(url + "class")
    _settled(page)
    field = page.get_by_label("Teacher password")
    field.fill(PASSWORD)
    field.press("Enter")
    time.sleep(1)
    _settled(page)
    page.get_by_label("Room name").fill(name)
    page.get_by_role("button", name=re.compile("Open a room")).first.click()
    page.get_by_text(CODE).first.wait_for(timeout=30_000)
    return CODE.search(page.inner_text("body")).group(1)


def _draw_and_send(page, nick):
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(state="visible", timeout=90_000)
    name = page.get_by_label("Your name")
    name.fill(nick)
    name.press("Enter")
    time.sleep(1)
    box = canvas.bounding_box()
    x0, y0, k = box["x"], box["y"], box["width"] / 280
    draw_stroke(page, [(x0 + 140 * k, y0 + (60 + i * 8) * k) for i in range(21)])  # a "1"
    wait_for_answer(page)  # the drawing is read: Send sends it (before, it says there is nothing yet)
    page.get_by_role("button", name=re.compile("Send to the class")).first.click()


def test_two_rooms_stay_apart(playwright_browser, tmp_path):
    env = {"HWLAB_MODELS_DIR": str(ROOT / "models"), "HWLAB_DB_URL": f"sqlite:///{tmp_path}/class.db",
           "HWLAB_TEACHER_PASSWORD": PASSWORD}
    proc, url = start_app(env)
    contexts = []

    def page(width=1280, height=1000):
        contexts.append(playwright_browser.new_context(viewport={"width": width, "height": height}))
        return contexts[-1].new_page()

    try:
        teacher_a, teacher_b = page(1920, 1080), page(1920, 1080)
        code_a, code_b = _open_room(teacher_a, url, "7B maths"), _open_room(teacher_b, url, "7C maths")
        assert code_a != code_b
        assert teacher_a.get_by_text("7B maths").count() and teacher_a.get_by_alt_text(re.compile("QR code")).count()

        student_a = page()
        student_a.goto(url + f"?room={code_a}")  # by the link
        _draw_and_send(student_a, "Ann-7B")
        student_a.get_by_text("Sent.").wait_for(timeout=30_000)
        assert f"room={code_a}" in student_a.url  # kept in the link: a reconnect finds the room again

        student_b = page()
        student_b.goto(url)  # by the code typed on the Draw page
        join = student_b.get_by_label("Join a class")
        join.wait_for(timeout=90_000)
        join.fill(code_b.lower())
        join.press("Enter")
        student_b.get_by_text(f"join code {code_b}").first.wait_for(timeout=30_000)
        _draw_and_send(student_b, "Ben-7C")
        student_b.get_by_text("Sent.").wait_for(timeout=30_000)

        impostor = page()
        impostor.goto(url + f"?room={code_a}")
        _draw_and_send(impostor, "Ann-7B")
        impostor.get_by_text("Two of you are called Ann-7B: pick another name.").wait_for(timeout=30_000)

        wall_a, wall_b = page(1920, 1080), page(1920, 1080)
        wall_a.goto(url + f"class?room={code_a}")
        wall_b.goto(url + f"class?room={code_b}")
        wall_a.get_by_text("Ann-7B").first.wait_for(timeout=60_000)
        wall_b.get_by_text("Ben-7C").first.wait_for(timeout=60_000)
        time.sleep(3)  # a wall refresh more: nothing of the other room arrives
        assert not wall_a.get_by_text("Ben-7C").count() and not wall_b.get_by_text("Ann-7B").count()
        assert wall_a.get_by_text(f"Join code: {code_a}").count()
        home = page(1920, 1080)
        home.goto(url + "class")  # no room: the default room's wall, empty
        home.get_by_text("No drawings in this session yet").wait_for(timeout=60_000)
        assert not home.get_by_text("Ann-7B").count() and not home.get_by_text("Ben-7C").count()
    finally:
        for c in contexts:
            c.close()
        stop_app(proc)
