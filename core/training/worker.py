"""The training job's worker process (`python -m core.training.worker run <job folder>`): trains the job's
settings at a lower CPU priority than the app, with capped threads (so that predictions keep their speed
while a class trains), writing events and state, then draws the new model's map. job_files.py holds the
folder it writes and the lock it inherits from jobs.start."""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Optional

from ..atomic import write_json
from ..errors import Busy, HWLabError
from .cpu_share import yield_to_the_app
from .events import EventLog
from .job_files import LOCK_FD_ENV, busy_message, holder, now, read_json, state_file, try_lock, write_holder

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
    lock_fd = int(os.environ.get(LOCK_FD_ENV, "-1"))
    if lock_fd < 0:  # started by hand: take the lock ourselves
        lock_fd = try_lock(retries=10)
        if lock_fd is None:
            raise Busy(busy_message(holder() or {}))
    write_holder(lock_fd, {"pid": os.getpid(), "job": job_id, "since": time.time()})
    state = {**state_file(d), "state": "running", "pid": os.getpid(), "started": now()}
    write_json(d / "state.json", state)
    emit = EventLog(d / "events.jsonl")
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
        write_json(d / "state.json", {**state, "state": kind, "ended": now(), "message": message, **extra})

    emit({"event": "status", "message": "starting (loading the training library)"})
    meta = read_json(d / "job.json", {}) or {}
    try:
        yield_to_the_app()  # a lower priority and capped threads, before TensorFlow starts
        from .. import registry
        from .run import Cancelled, train
        from .settings import Settings
    except _Stop:
        finish("cancelled", "Cancelled before training started: nothing was saved.")
        return 1
    try:
        settings = Settings.from_dict(read_json(d / "settings.json", {}) or {})
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
    sys.stderr.write("usage: python -m core.training.worker run JOB_FOLDER\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
