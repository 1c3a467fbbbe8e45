"""What the job starter (jobs.py) and the worker (worker.py) share: the machine's one training lock and the
files of a job's folder.

    <jobs_dir>/lock               held (flock) by the process that trains; holds its pid as JSON
    <jobs_dir>/<id>/settings.json the settings, checked (Settings.resolved) before the job exists
    <jobs_dir>/<id>/job.json      id, created, the folders it reads and writes, the equivalent command
    <jobs_dir>/<id>/state.json    queued | running | done | failed | cancelled, pid, times, message, bundle
    <jobs_dir>/<id>/events.jsonl  one JSON event a line, appended as training goes (run.train's status,
                                  device, batch, epoch, evaluation, done; then done, failed or cancelled
                                  written by the worker); events.py writes and reads it
    <jobs_dir>/<id>/log.txt       the process's stdout and stderr
    <jobs_dir>/<id>/cancel        present once a cancel was asked for

One training at a time: an exclusive flock on <jobs_dir>/lock. jobs.start takes it and hands the locked
file to the worker (`filelock` cannot pass a lock to a child), which holds it until it exits (the kernel
drops it even after a SIGKILL).
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Optional

from .. import config

LOCK_NAME = "lock"
LOCK_FD_ENV = "HWLAB_JOB_LOCK_FD"  # how jobs.start tells the worker which inherited fd holds the lock


def read_json(path: Path, default=None):
    """A JSON file's content, or `default` when it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def now() -> float:
    """The time as the job's files record it (milliseconds)."""
    return round(time.time(), 3)


def state_file(d: Path) -> dict:
    """A job folder's state.json; a missing or unreadable one reads as failed."""
    state = read_json(d / "state.json", None)
    return state if isinstance(state, dict) else {"state": "failed", "message": "state.json is missing or unreadable"}


# ---------------------------------------------------------------- the machine-wide lock
def lock_path() -> Path:
    d = config.jobs_dir()
    d.mkdir(parents=True, exist_ok=True)
    return d / LOCK_NAME


def try_lock(retries: int = 0) -> Optional[int]:
    """An fd holding the exclusive lock, or None when somebody else holds it. A look at the lock
    (holder) takes it for a few microseconds, so a request retries a little before giving up."""
    fd = os.open(lock_path(), os.O_RDWR | os.O_CREAT, 0o644)
    for attempt in range(retries + 1):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if attempt < retries:
                time.sleep(0.02)
    os.close(fd)
    return None


def write_holder(fd: int, who: dict) -> None:
    """Record who holds the lock ({"pid", "job" or "command", "since"}) in the locked file itself."""
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(who) + "\n").encode(), 0)


def holder() -> Optional[dict]:
    """Who trains on this machine now ({"pid", "job" or "command", "since"}), or None."""
    path = lock_path()
    fd = try_lock()
    if fd is not None:  # nobody holds it
        os.close(fd)
        return None
    info = read_json(path, {}) or {}
    return info if isinstance(info, dict) else {}


def busy_message(h: dict) -> str:
    """The sentence for a training request refused because `h` (holder()) trains."""
    what = f"job {h['job']}" if h.get("job") else (h.get("command") or "a training")
    since = datetime.fromtimestamp(h["since"]).strftime("%H:%M:%S") if h.get("since") else "a moment ago"
    return (f"A training is already running on this machine ({what}, pid {h.get('pid', '?')}, since {since}). "
            f"One training runs at a time: wait for it to finish, or cancel it on the Train page.")
