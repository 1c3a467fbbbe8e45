"""`concurrent_users.py --class`: every student also sends each drawing to the class (a nickname typed once,
then "Send to the class" after each prediction, which also clears the canvas for the next drawing; a student
the app asks to wait, at 20 drawings a minute, waits), and one more session holds the Class page open, refreshing
its live wall every 2 s as the browser does (a fragment rerun). At the end the drawings in the database are
counted: `stored` must equal `sent`.

With rooms (`--rooms R`), the students are spread over R rooms opened in the class database before the server
starts (student i joins room i mod R by its link, /?room=CODE), one wall per room watches its own room
(/class?room=CODE), and every card a wall shows of a student of another room counts in `wrong_room`."""
from __future__ import annotations

import asyncio
import json
import re
import time

from benchmarks._streamlit_ws import StreamlitSession

WALL_EVERY_S = 2.0  # the Class page's st.fragment(run_every=2)
WALL = "hwlab_wall_grid"  # ui/class_wall/grid.py's element: the counters and the cards
LIMIT_SENTENCE = re.compile(r"drawings this minute: wait ([0-9]+) s")  # ui/draw/class_send.py's sentence


def _wall_data(bidi) -> dict:
    """The data the wall's element was given (ui/wall_grid.wall_grid: counters, note, cards), as sent."""
    return json.loads(bidi.json or bidi.mixed.json or "{}")


def student(sid: int) -> str:
    return f"student-{sid:02d}"


class ClassLoad:
    def __init__(self, rooms: int = 0):
        self.rooms: list[tuple[int, str]] = open_rooms(rooms) if rooms else []  # (id, join code)
        self.sent_by_room: dict[str, int] = {}
        self.wrong_room: set[int] = set()  # ids of drawings a wall showed from another room
        self.cards_checked = 0  # cards the walls showed and this checked (0 would make wrong_room meaningless)
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
        return await sess.rerun(timeout, [(field[1].id, "string_value", student(sid))], field[2])

    def room_of(self, sid: int) -> str:
        """The join code of student `sid`'s room ("" without rooms: the default class)."""
        return self.rooms[sid % len(self.rooms)][1] if self.rooms else ""

    def query(self, sid: int) -> str:
        """Student `sid`'s link query: its room, and the seat that holds its nickname (ui/rooms.seat), which a
        browser keeps in its link, so a new page of the same student keeps the name."""
        seat = f"seat=benchmark-seat-{sid:04d}"
        return f"room={self.room_of(sid)}&{seat}" if self.rooms else seat

    async def send(self, sess: StreamlitSession, run, timeout: float, sid: int = 0):
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
        room = self.room_of(sid)
        self.sent_by_room[room] = self.sent_by_room.get(room, 0) + 1
        return run

    async def watch_walls(self, url: str, stop: asyncio.Event, timeout: float) -> None:
        """One projector per room (one without rooms)."""
        codes = [code for _, code in self.rooms] or [""]
        await asyncio.gather(*(self.watch_wall(url, stop, timeout, code) for code in codes))

    def _check_room(self, found, code: str) -> None:
        """Counts the cards on room `code`'s wall whose student belongs to another room."""
        if not self.rooms:
            return
        cards = _wall_data(found[1]).get("cards", [])
        self.cards_checked += len(cards)
        for c in cards:
            sid = int(m.group(1)) if (m := re.fullmatch(r"student-(\d+)", c.get("student", ""))) else None
            if sid is not None and self.room_of(sid) != code:
                self.wrong_room.add(int(c["id"]))

    async def watch_wall(self, url: str, stop: asyncio.Event, timeout: float, code: str = "") -> None:
        """The projector: the Class page, its wall fragment rerun every 2 s; each refresh timed."""
        sess = StreamlitSession(url, f"room={code}" if code else "")
        try:
            await sess.connect(timeout)
            run = await sess.rerun(timeout, page_name="class")
            found = run.first("bidi_component", component_name=WALL)
            if found is None or run.problems():
                self.wall_errors += 1
                print(f"the wall of room {code or '(default)'} did not load: {(run.problems() or ['no wall'])[0]}",
                      flush=True)
                return
            fragment = found[2]
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    r = await sess.rerun(timeout, fragment=fragment)
                    self.wall_refresh_s.append(time.perf_counter() - t0)
                    shown = r.first("bidi_component", component_name=WALL)
                    if r.problems() or shown is None:
                        self.wall_errors += 1
                    else:
                        self._check_room(shown, code)
                except (TimeoutError, asyncio.TimeoutError):
                    self.wall_errors += 1
                try:
                    await asyncio.wait_for(stop.wait(), max(0.0, WALL_EVERY_S - (time.perf_counter() - t0)))
                except asyncio.TimeoutError:
                    pass
        except Exception as exc:  # noqa: BLE001 - a wall that cannot load is counted, the benchmark goes on
            self.wall_errors += 1
            print(f"the wall of room {code or '(default)'} failed: {type(exc).__name__}: {exc}", flush=True)
        finally:
            await sess.close()


def open_rooms(n: int) -> list[tuple[int, str]]:
    """n rooms in the class database (HWLAB_DB_URL, set before), as a teacher opens them: (id, join code)."""
    from core.classroom import rooms
    from core.classroom.store import open_store

    store = open_store()
    return [(r.id, r.code) for r in (rooms.open_room(store, f"Room {i + 1}", "benchmark-teacher") for i in range(n))]


def stored_drawings(klass: ClassLoad | None = None) -> dict:
    """The drawings in the database: {"": n} without rooms, else one count per join code."""
    from core.classroom.store import open_store

    store = open_store()
    if klass is None or not klass.rooms:
        return {"": store.count(all_sessions=True)}
    return {code: store.count(all_sessions=True, room_id=rid) for rid, code in klass.rooms}
