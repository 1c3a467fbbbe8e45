"""`concurrent_users.py --class`: every student also sends each drawing to the class (a nickname typed once,
then "Send to the class" after each prediction, which also clears the canvas for the next drawing; a student
the app asks to wait, at 20 drawings a minute, waits), and one more session holds the Class page open, refreshing
its live wall every 2 s as the browser does (a fragment rerun). At the end the drawings in the database are
counted: `stored` must equal `sent`."""
from __future__ import annotations

import asyncio
import re
import time

from benchmarks._streamlit_ws import StreamlitSession

WALL_EVERY_S = 2.0  # the Class page's st.fragment(run_every=2)
WALL = "hwlab_wall_grid"  # ui/wall_grid.py's element: the counters and the cards
LIMIT_SENTENCE = re.compile(r"drawings this minute: wait ([0-9]+) s")  # ui/class_send.py's sentence


class ClassLoad:
    def __init__(self):
        self.sent = 0  # presses the server answered without an error
        self.send_errors = 0
        self.limited = 0  # sends the app refused under its limit: the student waited and pressed again
        self.wall_refresh_s: list[float] = []
        self.wall_errors = 0

    async def type_name(self, sess: StreamlitSession, run, sid: int, timeout: float):
        """Types the nickname into "Your name" (Enter), as a student does once; returns the new run. Like the
        browser, it names the field's fragment (the drawing's)."""
        field = run.first("text_input", label="Your name")
        if field is None:
            raise RuntimeError("no 'Your name' field on the Draw page")
        return await sess.rerun(timeout, [(field[1].id, "string_value", f"student-{sid:02d}")], field[2])

    async def send(self, sess: StreamlitSession, run, timeout: float):
        """Presses "Send to the class" under the prediction `run` showed, in the button's own fragment as the
        browser does; returns the run that answered (the send clears the canvas). A send the app refuses
        under its limit (20 a minute a session) is not an error: the student waits the seconds the sentence
        says and presses again, as a student would; those waits are counted in `limited`."""
        for _ in range(4):
            button = next(((b, frag) for _, k, el, frag in run.elements if k == "button" and (b := el.button).label
                           == "Send to the class" and not b.disabled), None)
            if button is None:
                self.send_errors += 1
                raise RuntimeError("no enabled 'Send to the class' button under the prediction")
            button, fragment = button
            run = await sess.rerun(timeout, [(button.id, "trigger_value", True)], fragment)
            wait = next((float(m.group(1)) for _, k, el, _ in run.elements if k == "alert"
                         and (m := LIMIT_SENTENCE.search(el.alert.body))), None)
            if wait is None:
                break
            self.limited += 1
            await asyncio.sleep(wait + 0.5)
        if run.problems() or run.first("toast") is None:
            self.send_errors += 1
            raise RuntimeError(f"the send failed: {(run.problems() or ['no confirmation'])[0]}")
        self.sent += 1
        return run

    async def watch_wall(self, url: str, stop: asyncio.Event, timeout: float) -> None:
        """The projector: the Class page, its wall fragment rerun every 2 s; each refresh timed."""
        sess = StreamlitSession(url)
        try:
            await sess.connect(timeout)
            run = await sess.rerun(timeout, page_name="class")
            found = run.first("bidi_component", component_name=WALL)
            if found is None or run.problems():
                self.wall_errors += 1
                return
            fragment = found[2]
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    r = await sess.rerun(timeout, fragment=fragment)
                    self.wall_refresh_s.append(time.perf_counter() - t0)
                    if r.problems() or r.first("bidi_component", component_name=WALL) is None:
                        self.wall_errors += 1
                except (TimeoutError, asyncio.TimeoutError):
                    self.wall_errors += 1
                try:
                    await asyncio.wait_for(stop.wait(), max(0.0, WALL_EVERY_S - (time.perf_counter() - t0)))
                except asyncio.TimeoutError:
                    pass
        except Exception:  # noqa: BLE001 - a wall that cannot load is counted, the benchmark goes on
            self.wall_errors += 1
        finally:
            await sess.close()


def stored_drawings() -> int:
    from core.classroom.store import open_store

    return open_store().count(all_sessions=True)
