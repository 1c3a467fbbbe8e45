"""The projector first: while a class wall refreshes, new drawing runs wait for it (at most WAIT_S).

Every run of every session is a thread, and Python threads share one interpreter lock: with 40 students
drawing, a dozen runs share it at peak, and the wall's refresh, which everyone in the room looks at, took a
dozen times its own work. Holding new drawing runs back while it runs (runs already going go on) lets it
finish in a fraction of that; a student's answer waits at most WAIT_S, and a refresh takes tens of ms alone.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

WAIT_S = 0.15
_changed = threading.Condition()
_walls = 0  # wall refreshes running now


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


def after_the_wall(wait_s: float = WAIT_S) -> None:
    """At the start of a drawing run: returns once no wall refresh runs, or after wait_s."""
    with _changed:
        _changed.wait_for(lambda: _walls == 0, timeout=wait_s)
