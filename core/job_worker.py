"""The training job's worker process (`python -m core.job_worker run <job folder>`): trains the job's settings
at a lower CPU priority than the app, with capped threads (so that predictions keep their speed while a
class trains), writing events and state. See jobs.py for the folder it writes."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Optional

from .atomic import write_json
from .cpu_share import yield_to_the_app
from .errors import Busy, HWLabError
from .jobs import (BATCH_EVENT_EVERY_S, _busy_message, _now, _read_json, _state_file, _try_lock,  # noqa: F401
                   _write_holder, holder)

class _Events:
    """Appends events as JSON lines with their time; batch events at most once a second."""

    def __init__(self, path: Path):
        self.fh = open(path, "a", buffering=1)
        self.last_batch = 0.0

    def __call__(self, e: dict) -> None:
        now = time.time()
        if e.get("event") == "batch":
            if now - self.last_batch < BATCH_EVENT_EVERY_S and e.get("batch") != e.get("steps"):
                return
            self.last_batch = now
        self.fh.write(json.dumps({**e, "t": round(now, 3)}, default=float) + "\n")
        self.fh.flush()
        if e.get("event") in ("status", "device", "epoch", "evaluation", "done"):
            print(json.dumps(e, default=float), flush=True)  # the log tells the same story


class _Stop(Exception):
    """SIGTERM: the cancel fallback, raised wherever the worker is (even before training starts)."""


def run(job_dir: str) -> int:
    """The worker: train the job's settings, writing events and state. Exit code 0 when done."""
    d = Path(job_dir).resolve()
    job_id = d.name
    stop = {"asked": False}

    def on_term(signum, frame):
        if not stop["asked"]:
            stop["asked"] = True
            raise _Stop()

    signal.signal(signal.SIGTERM, on_term)
    lock_fd = int(os.environ.get("HWLAB_JOB_LOCK_FD", "-1"))
    if lock_fd < 0:  # started by hand: take the lock ourselves
        lock_fd = _try_lock(retries=10)
        if lock_fd is None:
            raise Busy(_busy_message(holder() or {}))
    _write_holder(lock_fd, {"pid": os.getpid(), "job": job_id, "since": time.time()})
    state = {**_state_file(d), "state": "running", "pid": os.getpid(), "started": _now()}
    write_json(d / "state.json", state)
    emit = _Events(d / "events.jsonl")
    cancel_flag = d / "cancel"

    def cancelled() -> bool:
        return stop["asked"] or cancel_flag.exists()

    def finish(kind: str, message: Optional[str], **extra) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if kind != "done":  # training.train wrote its own "done" event
            emit({"event": kind, **({"message": message} if message else {})})
        # The lock goes before the state says so: whoever sees the job ended may start the next one at once
        # (the other order left a moment, under load, where the job had ended and still held the lock).
        with contextlib.suppress(OSError):
            os.close(lock_fd)  # the next training may start while this process winds down
        write_json(d / "state.json", {**state, "state": kind, "ended": _now(), "message": message, **extra})

    emit({"event": "status", "message": "starting (loading the training library)"})
    meta = _read_json(d / "job.json", {}) or {}
    try:
        yield_to_the_app()  # a lower priority and capped threads, before TensorFlow starts
        from . import registry
        from .training import Cancelled, Settings, train
    except _Stop:
        finish("cancelled", "Cancelled before training started: nothing was saved.")
        return 1
    try:
        settings = Settings.from_dict(_read_json(d / "settings.json", {}) or {})
        if cancelled():
            raise Cancelled()
        name = train(settings, emit, cancelled, command=f"{meta.get('command', 'python -m core train')}"
                                                        f"  # Train page, job {job_id}")
        acc = (registry.inspect(name).card or {}).get("test_accuracy")
        finish("done", f"Saved as {name}.", bundle=name, test_accuracy=acc)
        return 0
    except (Cancelled, _Stop):
        finish("cancelled", "Cancelled: nothing was saved.")
        return 1
    except HWLabError as exc:
        finish("failed", str(exc))
        print(f"error: {exc}", flush=True)
        return 2
    except Exception as exc:  # a bug, or the machine (out of memory, ...): the log keeps the traceback
        traceback.print_exc()
        finish("failed", f"Training failed: {type(exc).__name__}: {exc}")
        return 1


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "run":
        return run(argv[1])
    sys.stderr.write("usage: python -m core.job_worker run JOB_FOLDER\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
