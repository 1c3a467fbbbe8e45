"""The projector first: while a class wall refreshes, drawing runs wait for it (each run at most RUN_WAIT_S).

Every run of every session is a thread, and Python threads share one interpreter lock: with 40 students
drawing, a dozen runs share it at peak, and the wall's refresh, which everyone in the room looks at, took a
dozen times its own work. A drawing run checks at its start and at a few points on its way (`after_the_wall`)
whether a wall refresh runs, and waits for it there: the refresh then has the lock nearly to itself and takes
tens of ms, as it does alone. A student's answer waits at most RUN_WAIT_S over the whole run.
"""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

RUN_WAIT_S = 0.15  # the most a drawing run waits for walls, all its checkpoints together
_changed = threading.Condition()
_walls = 0  # wall refreshes running now
_run = threading.local()  # a run's thread: how much of its wait it has left


@contextmanager
def wall_refresh():
    """Around a wall refresh."""
    global _walls
    with _changed:
        _walls += 1
    try:
        yield
    finally:
        with _changed:
            _walls -= 1
            _changed.notify_all()


def drawing_run_starts(wait_s: float = RUN_WAIT_S) -> None:
    """At the start of a drawing run: its wait budget is wait_s; waits for the wall now if one refreshes."""
    _run.left = wait_s
    after_the_wall()


def after_the_wall() -> None:
    """A checkpoint in a drawing run: returns at once when no wall refreshes (no lock taken), else once none
    does or the run's budget is spent."""
    left = getattr(_run, "left", RUN_WAIT_S)
    if not _walls or left <= 0:  # reading an int needs no lock; a refresh that starts just now waits for the next
        return
    t = time.perf_counter()
    with _changed:
        _changed.wait_for(lambda: _walls == 0, timeout=left)
    _run.left = left - (time.perf_counter() - t)
