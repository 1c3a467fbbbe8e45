"""Sliding-window rate limits: at most `limit` events in `window` seconds (sends). RateLimit
counts one stream of events; KeyedRateLimit keeps one per key (a nickname, a client address) for the whole
server process, so that every browser session of a student, a new tab or a script, shares it. Several app
servers behind one proxy each keep their own (the drawings cap of the class store bounds them all)."""
from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from typing import Hashable, Optional


class RateLimit:
    def __init__(self, limit: int, window: float = 60.0):
        self.limit, self.window = limit, window
        self.times: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self.times and now - self.times[0] >= self.window:
            self.times.popleft()

    def allow(self, now: Optional[float] = None) -> bool:
        """Counts one event and says whether it is within the limit (a refused one is not counted)."""
        now = time.monotonic() if now is None else now
        self._trim(now)
        if len(self.times) >= self.limit:
            return False
        self.times.append(now)
        return True

    def wait_s(self, now: Optional[float] = None) -> float:
        """Seconds until the next event would be allowed (0 when it would be now)."""
        now = time.monotonic() if now is None else now
        self._trim(now)
        return 0.0 if len(self.times) < self.limit else self.window - (now - self.times[0])


class KeyedRateLimit:
    """One RateLimit per key, shared by every thread (browser session) of this process."""

    MAX_KEYS = 10_000  # past this many, the keys with no event left in the window are forgotten

    def __init__(self, limit: int, window: float = 60.0):
        self.limit, self.window = limit, window
        self._by_key: dict[Hashable, RateLimit] = {}
        self._lock = threading.Lock()

    def _get(self, key: Hashable, now: float) -> RateLimit:
        if key not in self._by_key and len(self._by_key) >= self.MAX_KEYS:
            for k, r in list(self._by_key.items()):
                r.wait_s(now)  # drops the events older than the window
                if not r.times:
                    del self._by_key[k]
        return self._by_key.setdefault(key, RateLimit(self.limit, self.window))

    def wait_s(self, key: Hashable, now: Optional[float] = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            return self._get(key, now).wait_s(now)

    def allow(self, key: Hashable, now: Optional[float] = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            return self._get(key, now).allow(now)


_ALL_LOCK = threading.Lock()  # a check and its counting are one step, across limits


def allow_all(checks: list[tuple[KeyedRateLimit, Hashable]], now: Optional[float] = None) -> float:
    """Counts one event against every (limit, key) when all of them allow it and returns 0.0; else counts
    nothing and returns the seconds until all would allow it."""
    now = time.monotonic() if now is None else now
    with _ALL_LOCK:
        wait = max((limit.wait_s(key, now) for limit, key in checks), default=0.0)
        if wait > 0:
            return wait
        for limit, key in checks:
            limit.allow(key, now)
        return 0.0


SENDS_PER_MINUTE = 20  # per nickname and room, from any number of browser sessions
SENDS_PER_ADDRESS_PER_MINUTE = 40  # per client address: two students sharing a tablet, not a script
_SENDS_BY_NAME = KeyedRateLimit(SENDS_PER_MINUTE)
_SENDS_BY_ADDRESS = KeyedRateLimit(SENDS_PER_ADDRESS_PER_MINUTE)


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return True


def send_wait_s(nickname: str, room: Optional[str], address: Optional[str], now: Optional[float] = None) -> float:
    """Counts one send to the class wall and returns 0.0, or refuses it (nothing counted) and returns the seconds
    until the next one is allowed. Limited per nickname in its room (case aside) and per client address
    (ui/teacher_lock.client_address: behind our proxy, X-Forwarded-For). A loopback address (this machine: a local
    run, a benchmark) and one that is not an address are limited by nickname only."""
    checks = [(_SENDS_BY_NAME, (room, nickname.casefold()))]
    if address and not _is_loopback(address):
        checks.append((_SENDS_BY_ADDRESS, address))
    return allow_all(checks, now)
