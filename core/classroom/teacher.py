"""Who is a teacher here, without Streamlit: the one home of the rules that every page and the rooms code
follow (ui/teacher_lock.py applies them to a browser session).

- A teacher is *set* when the server has a teacher password (HWLAB_TEACHER_PASSWORD, or teacher_password
  in Streamlit's secrets) or school sign-in (an [auth] section in the secrets), or both. Then a session is a
  teacher's once it signed in with an account that `is_teacher_account` accepts (teacher_emails /
  teacher_domains in the secrets) or unlocked with the password; everyone else gets the student's view.
- No teacher set: on a loopback address (one person at home) everything is open; on any other address every
  teacher action is locked, unless HWLAB_OPEN_CLASS=1 opens them on purpose.
- Password tries are counted per client address in the server (`PasswordTries`), so a reload or a new tab
  brings no new tries; a wrong try after the free ones locks the address for a while that grows with each
  further wrong try. Each refused try is logged with its address, never with what was typed.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

ENV = "HWLAB_TEACHER_PASSWORD"
OPEN_CLASS_ENV = "HWLAB_OPEN_CLASS"
PASSWORD = "password"  # the identity of a session unlocked with the password (a signed-in one is its e-mail)
OPEN = "open"  # the identity of everyone when no teacher is set and the class is open (at home)

FREE_TRIES = 5  # wrong tries before the first lockout
FIRST_LOCKOUT_S = 5.0  # then 5 s, 10 s, 20 s ... for each further wrong try
MAX_LOCKOUT_S = 300.0
FORGET_AFTER_S = 900.0  # an address with no wrong try for this long starts afresh

log = logging.getLogger("hwlab.teacher")


def configured(secret: Optional[str] = None) -> Optional[str]:
    """The password the server was started with (the environment first, then the secrets' value), or None."""
    value = os.environ.get(ENV) or secret
    return value if isinstance(value, str) and value else None


def matches(given: str, password: str) -> bool:
    return hmac.compare_digest(str(given).encode(), password.encode())


def open_class() -> bool:
    """HWLAB_OPEN_CLASS=1: the teacher chose to leave teacher actions open on the network."""
    return os.environ.get(OPEN_CLASS_ENV, "").strip().lower() in {"1", "true", "yes"}


def is_loopback(address: Optional[str]) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost". An empty address (listen on every address) is not."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def client_address(peer: Optional[str], forwarded_for: Optional[str] = None) -> str:
    """The address a request came from. `peer` is the connection's own address (None or a loopback one for a
    local connection). X-Forwarded-For is believed only from a loopback peer (our own nginx in front), and then
    its last entry, the one that proxy added; anyone else could write whatever they like in it."""
    peer = peer if isinstance(peer, str) else None
    forwarded_for = forwarded_for if isinstance(forwarded_for, str) else None
    if peer and not is_loopback(peer):
        return peer
    if forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        if last:
            return last
    return peer or "127.0.0.1"


def _as_list(value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    return [str(v).strip().lower() for v in (value or []) if str(v).strip()]


def is_teacher_account(email: Optional[str], emails: Iterable[str] = (), domains: Iterable[str] = (),
                       verified: Optional[bool] = None) -> bool:
    """A signed-in account is a teacher's when its e-mail is one of `emails` or ends in one of `domains`
    (letter case ignored; "@school.org" and "school.org" alike; a subdomain is not its parent). An e-mail the
    provider marks as not verified is nobody's; a provider that says nothing about it (Entra) is believed."""
    if not email or verified is False:
        return False
    email = str(email).strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return False
    return email in _as_list(emails) or domain in [d.lstrip("@") for d in _as_list(domains)]


@dataclass(frozen=True)
class Server:
    """What decides the rules for every session of one server."""
    password: Optional[str]  # the teacher password, or None
    sign_in: bool  # an [auth] section is configured
    exposed: bool  # listening on, or reached from, a non-loopback address
    open_class: bool = False  # HWLAB_OPEN_CLASS=1

    @property
    def teacher_set(self) -> bool:
        return self.password is not None or self.sign_in

    @property
    def locked_for_all(self) -> bool:
        """No teacher set, on the network, and not opened on purpose: nobody may act as the teacher."""
        return not self.teacher_set and self.exposed and not self.open_class

    @property
    def open_on_network(self) -> bool:
        """No teacher set, on the network, opened with HWLAB_OPEN_CLASS=1 (the sidebar warns)."""
        return not self.teacher_set and self.exposed and self.open_class


def identity(server: Server, signed_in_teacher: Optional[str] = None, password_unlocked: bool = False
             ) -> Optional[str]:
    """Who acts as the teacher in one session: the signed-in teacher's e-mail, PASSWORD, OPEN (no teacher set
    and the class open: everyone), or None for a student. A room's owner is compared with this."""
    if server.teacher_set:
        if signed_in_teacher and server.sign_in:
            return signed_in_teacher
        if password_unlocked and server.password is not None:
            return PASSWORD
        return None
    return None if server.locked_for_all else OPEN


@dataclass(frozen=True)
class Verdict:
    """One password try: 'ok', 'wrong' or 'wait' (locked out), and the seconds until the next try counts."""
    outcome: str
    wait_s: float = 0.0


class PasswordTries:
    """Wrong password tries per client address, shared by every browser session of this server process."""

    def __init__(self, free: int = FREE_TRIES, first_lockout_s: float = FIRST_LOCKOUT_S,
                 max_lockout_s: float = MAX_LOCKOUT_S, forget_after_s: float = FORGET_AFTER_S):
        self.free, self.first, self.max, self.forget = free, first_lockout_s, max_lockout_s, forget_after_s
        self._lock = threading.Lock()
        self._wrong: dict[str, tuple[int, float]] = {}  # address -> (wrong tries, time of the last one)

    def _state(self, address: str, now: float) -> tuple[int, float]:
        count, last = self._wrong.get(address, (0, 0.0))
        if count and now - last >= self.forget:
            self._wrong.pop(address, None)
            return 0, 0.0
        return count, last

    def _lockout_s(self, count: int) -> float:
        return 0.0 if count < self.free else min(self.max, self.first * 2 ** (count - self.free))

    def wait_s(self, address: str, now: Optional[float] = None) -> float:
        """Seconds until `address` may try again (0 when it may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._state(address, now)
            return max(0.0, last + self._lockout_s(count) - now) if count else 0.0

    def check(self, address: str, given: str, password: str, now: Optional[float] = None) -> Verdict:
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._state(address, now)
            wait = max(0.0, last + self._lockout_s(count) - now) if count else 0.0
            if wait > 0:
                log.warning("teacher password try refused from %s: locked out for %.0f s more", address, wait)
                return Verdict("wait", wait)
            if matches(given, password):
                self._wrong.pop(address, None)
                return Verdict("ok")
            count += 1
            self._wrong[address] = (count, now)
            wait = self._lockout_s(count)
        log.warning("teacher password try refused from %s: wrong (%d wrong in a row)", address, count)
        return Verdict("wait" if wait else "wrong", wait)


TRIES = PasswordTries()  # the server's one count (every session of this process shares it)


def secrets_lists(secrets: Mapping) -> tuple[list[str], list[str]]:
    """teacher_emails and teacher_domains from the top level of Streamlit's secrets (a string or a list)."""
    return _as_list(secrets.get("teacher_emails")), _as_list(secrets.get("teacher_domains"))
