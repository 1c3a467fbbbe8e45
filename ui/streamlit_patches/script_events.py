"""Hand a script run's messages to the server's event loop in batches, not one wake-up each.

Every element a script run draws reaches the event loop through `AppSession._call_soon_on_event_loop`,
which calls `loop.call_soon_threadsafe` once per message: each call writes a byte to the loop's own socket.
That write is a system call, so the script's thread gives up the GIL and then has to get it back. With 40
students drawing, a dozen runs want the GIL at once, and getting it back takes a switch interval (5 ms) or
several, once for every element a run draws. The class wall's refresh waited so behind every run in flight:
timed from its request to its last message in `benchmarks/concurrent_users.py --class`, it spent most of its
time outside its own script's work.

Here the messages wait in one mailbox per loop, and the loop is woken only when the mailbox was empty: a
run's messages cost one wake-up (or a few, when the loop drains faster than the run draws). The loop runs them
in the order they were posted, a batch per turn, as it ran them before one per turn.
"""
from __future__ import annotations

import logging
import threading
import weakref
from collections import deque
from typing import Callable

SETTING = "HWLAB_PATCH_SCRIPT_EVENTS"  # =0 turns it off (ui/streamlit_patches/__init__.py)
BUYS = ("one wake-up of the loop per batch of a run's messages (with long_lived and turns: --class 40 "
        "sessions p95 0.89/0.87 s, wall refresh p95 0.74/0.71 s, commit d06a2e2)")
TARGET = "streamlit.runtime.app_session.AppSession._call_soon_on_event_loop"
_log = logging.getLogger(__name__)


class Mailbox:
    """Callbacks posted from any thread, run on `loop` in order; the loop is woken once per batch."""

    def __init__(self, loop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._waiting: deque[Callable[[], None]] = deque()
        self._woken = False  # a drain is scheduled on the loop and has not yet taken the waiting callbacks

    def post(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._waiting.append(callback)
            if self._woken:
                return
            self._woken = True
        try:
            self._loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # as Streamlit's own: events after the loop closed (shutdown, tests) are dropped
            if not self._loop.is_closed():
                raise
            _log.debug("Dropped event-loop callbacks: the loop is closed")

    def _drain(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting, deque()
            self._woken = False  # what is posted from now on needs a wake-up of its own
        for callback in batch:
            try:
                callback()
            except Exception as exc:  # noqa: BLE001 - as the loop does for a callback: report it, run the next
                self._loop.call_exception_handler({"message": "Exception in a script event callback",
                                                   "exception": exc})


_boxes: "weakref.WeakKeyDictionary[object, Mailbox]" = weakref.WeakKeyDictionary()
_boxes_lock = threading.Lock()


def mailbox(loop) -> Mailbox:
    """The loop's mailbox. Called for every message: the lock is taken only to make one, since a lock that
    other runs' threads contend for would send this thread back to the GIL's queue."""
    box = _boxes.get(loop)
    if box is None:
        with _boxes_lock:
            box = _boxes.get(loop) or _boxes.setdefault(loop, Mailbox(loop))
    return box


def apply() -> bool:
    """Patch AppSession; False (and a log line) when this Streamlit lacks the method."""
    try:
        from streamlit.runtime.app_session import AppSession
    except ImportError:
        AppSession = None
    if AppSession is None or not hasattr(AppSession, "_call_soon_on_event_loop"):
        _log.warning("%s moved: every message of a script run wakes the event loop again; see %s", TARGET, __file__)
        return False
    if getattr(AppSession._call_soon_on_event_loop, "_hwlab", False):
        return True

    def _call_soon_on_event_loop(self, callback: Callable[[], None]) -> None:
        mailbox(self._event_loop).post(callback)

    _call_soon_on_event_loop._hwlab = True
    AppSession._call_soon_on_event_loop = _call_soon_on_event_loop
    return True
