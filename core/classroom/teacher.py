"""The teacher password: set by whoever starts the server (HWLAB_TEACHER_PASSWORD, or teacher_password in
Streamlit's secrets, which the ui passes in). Without one everything is open, as for one person at home.
Checked in constant time, a limited number of attempts a minute per browser session; never logged or shown."""
from __future__ import annotations

import hmac
import os
from typing import Optional

from .limits import PASSWORD_ATTEMPTS_PER_MINUTE, RateLimit

ENV = "HWLAB_TEACHER_PASSWORD"


def configured(secret: Optional[str] = None) -> Optional[str]:
    """The password the server was started with (the environment first, then the secrets' value), or None."""
    value = os.environ.get(ENV) or secret
    return value if isinstance(value, str) and value else None


def matches(given: str, password: str) -> bool:
    return hmac.compare_digest(str(given).encode(), password.encode())


class Unlocker:
    """One browser session's attempts: check() says 'ok', 'wrong' or 'wait' (too many attempts)."""

    def __init__(self, limit: int = PASSWORD_ATTEMPTS_PER_MINUTE, window: float = 60.0):
        self.attempts = RateLimit(limit, window)

    def check(self, given: str, password: str, now: Optional[float] = None) -> str:
        if not self.attempts.allow(now):
            return "wait"
        return "ok" if matches(given, password) else "wrong"

    def wait_s(self, now: Optional[float] = None) -> float:
        return self.attempts.wait_s(now)
