"""ui/turns.py: while a wall refresh runs, a drawing run waits for it at its checkpoints, never longer than its
bound in all."""
import threading
import time
from contextlib import contextmanager

from ui.turns import after_the_wall, drawing_run_starts, wall_refresh


@contextmanager
def a_wall_refreshing(for_s: float = 5.0):
    """A wall refresh running in another thread until for_s has passed or the block ends."""
    started, release = threading.Event(), threading.Event()

    def refresh():
        with wall_refresh():
            started.set()
            release.wait(for_s)
    wall = threading.Thread(target=refresh)
    wall.start()
    assert started.wait(5)
    try:
        yield
    finally:
        release.set()
        wall.join(5)


def test_a_drawing_run_goes_at_once_when_no_wall_refreshes():
    t = time.perf_counter()
    drawing_run_starts(wait_s=5)
    assert time.perf_counter() - t < 0.5


def test_a_drawing_run_waits_for_the_wall_then_goes():
    with a_wall_refreshing(for_s=0.3):
        t = time.perf_counter()
        drawing_run_starts(wait_s=5)
        waited = time.perf_counter() - t
    assert 0.15 < waited < 3  # it waited for the refresh to end, not for its whole bound


def test_a_drawing_run_never_waits_longer_than_its_bound():
    with a_wall_refreshing():
        t = time.perf_counter()
        drawing_run_starts(wait_s=0.2)
        waited = time.perf_counter() - t
    assert 0.15 < waited < 1.5


def test_a_runs_checkpoints_share_one_bound_and_cost_nothing_without_a_wall():
    drawing_run_starts(wait_s=0.3)  # no wall yet: nothing spent
    t = time.perf_counter()
    for _ in range(1000):
        after_the_wall()
    assert time.perf_counter() - t < 0.5
    with a_wall_refreshing():
        t = time.perf_counter()
        after_the_wall()  # spends the run's whole bound
        first = time.perf_counter() - t
        t = time.perf_counter()
        after_the_wall()  # nothing left: goes on at once, though the wall still refreshes
        second = time.perf_counter() - t
    assert 0.2 < first < 1.5 and second < 0.1
