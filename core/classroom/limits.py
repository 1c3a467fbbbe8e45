"""A sliding-window rate limit: at most `limit` events in `window` seconds (sends, password attempts)."""
from __future__ import annotations

import time
from collections import deque
from typing import Optional


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


SENDS_PER_MINUTE = 20
PASSWORD_ATTEMPTS_PER_MINUTE = 5
