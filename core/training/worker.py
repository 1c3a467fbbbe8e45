"""The training job's worker: trains the job's settings at a lower CPU priority than the app, with capped
threads (so that predictions keep their speed while a class trains), writing events and state, then runs its
caller's step after the save. jobs.start starts it as `python -m core run-job <job folder>` (core/cli.py,
whose step draws the new model's map); job_files.py holds the folder it writes and the lock it inherits.

Once the bundle is saved the job is done, whatever comes after: a cancel, a SIGTERM or a SIGKILL during the
step after the save leaves the bundle and says so (its "done" event is written the moment it is saved)."""
from __future__ import annotations

import contextlib
import os
import signal
import time
import traceback
from pathlib import Path
from typing import Callable, Optional

from ..atomic import write_json
from ..errors import Busy, HWLabError
from .cpu_share import yield_to_the_app
from .events import EventLog
from .job_files import LOCK_FD_ENV, busy_message, holder, now, read_json, state_file, try_lock, write_holder

PARENT_ENV = "HWLAB_JOB_WORKER_PID"  # set by a queue worker (core/serving/queue_worker.py): the job stops when that process is gone

class _Stop(Exception):
    """SIGTERM: the cancel fallback, raised wherever the worker is (even before training starts)."""


# After the save: after_save(bundle name, say(status message), cancelled()) -> None; it may raise Cancelled.
AfterSave = Optional[Callable[[str, Callable[[str], None], Callable[[], bool]], None]]


def run(job_dir: str, after_save: AfterSave = None) -> int:
    """The worker: train the job's settings, writing events and state, then `after_save` on the new
    bundle (with the lock still held, as before the job is done). Exit code 0 when done."""
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
    log = EventLog(d / "events.jsonl")
    saved: dict = {}  # the bundle, from its "done" event: from that moment the job is done
    cancel_flag = d / "cancel"

    def emit(e: dict) -> None:
        log(e)
        if e.get("event") == "done":
            saved.update(name=e.get("name"), test_accuracy=e.get("test_accuracy"))

    parent = int(os.environ.get(PARENT_ENV) or 0)

    def orphaned() -> bool:  # the queue worker that launched this job was killed: nobody would record its end
        return bool(parent) and os.getppid() != parent

    def cancelled() -> bool:
        return stop["asked"] or cancel_flag.exists() or orphaned()

    def finish(kind: str, message: Optional[str], **extra) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if kind != "done":  # run.train wrote its own "done" event
            emit({"event": kind, **({"message": message} if message else {})})
        # The lock goes before the state says so: whoever sees the job ended may start the next one at once
        # (the other order left a moment, under load, where the job had ended and still held the lock).
        with contextlib.suppress(OSError):
            os.close(lock_fd)  # the next training may start while this process winds down
        write_json(d / "state.json", {**state, "state": kind, "ended": now(), "message": message, **extra})

    def saved_anyway(why: str) -> int:
        name = saved["name"]
        finish("done", f"Saved as {name} ({why}; what comes after the save, the model's map, may be missing: "
                       f"python -m core.insight.feature_map {name} draws it).",
               bundle=name, test_accuracy=saved.get("test_accuracy"))
        return 0

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
        if after_save:
            after_save(name, lambda message: emit({"event": "status", "message": message}), cancelled)
        acc = (registry.inspect(name).card or {}).get("test_accuracy")
        finish("done", f"Saved as {name}.", bundle=name, test_accuracy=acc)
        return 0
    except (Cancelled, _Stop):
        if saved.get("name"):  # cancelled after the save: the bundle stays, and the job says so
            return saved_anyway("cancelled after the save")
        if orphaned() and not cancel_flag.exists():
            finish("failed", f"Its worker (pid {parent}) stopped while it trained: nothing was saved, and the "
                             f"models folder is as it was. The next job in line starts when a worker runs.")
            return 1
        finish("cancelled", "Cancelled: nothing was saved.")
        return 1
    except HWLabError as exc:
        if saved.get("name"):
            return saved_anyway(str(exc))
        finish("failed", str(exc))
        print(f"error: {exc}", flush=True)
        return 2
    except Exception as exc:  # a bug, or the machine (out of memory, ...): the log keeps the traceback
        traceback.print_exc()
        if saved.get("name"):
            return saved_anyway(f"{type(exc).__name__}: {exc}")
        finish("failed", f"Training failed: {type(exc).__name__}: {exc}")
        return 1


