"""ui/turns.py: while a wall refresh runs, a new drawing run waits for it, never longer than its bound."""
import threading
import time

from ui.turns import after_the_wall, wall_refresh


def test_a_drawing_run_goes_at_once_when_no_wall_refreshes():
    t = time.perf_counter()
    after_the_wall(wait_s=5)
    assert time.perf_counter() - t < 0.5


def test_a_drawing_run_waits_for_the_wall_then_goes():
    started, release = threading.Event(), threading.Event()

    def refresh():
        with wall_refresh():
            started.set()
            release.wait(5)
    wall = threading.Thread(target=refresh)
    wall.start()
    assert started.wait(5)
    threading.Timer(0.3, release.set).start()
    t = time.perf_counter()
    after_the_wall(wait_s=5)
    waited = time.perf_counter() - t
    wall.join(5)
    assert 0.2 < waited < 3  # it waited for the refresh to end, not for its whole bound


def test_a_drawing_run_never_waits_longer_than_its_bound():
    release = threading.Event()

    def refresh():
        with wall_refresh():
            release.wait(5)
    wall = threading.Thread(target=refresh)
    wall.start()
    time.sleep(0.1)
    t = time.perf_counter()
    after_the_wall(wait_s=0.2)
    waited = time.perf_counter() - t
    release.set()
    wall.join(5)
    assert 0.15 < waited < 1.5
