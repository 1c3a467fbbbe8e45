"""`python -m core worker`: takes the next queued training job (job_queue.py) whenever this machine is free to
train, runs it as any Train page job runs (jobs.launch: a process of its own, holding the machine's lock), writes
a heartbeat while it trains, and records how it ended in the queue. `--once`: until nobody waits.

`serve` starts one; the Train page starts a `--once` worker when it queues a job and none runs here (every
worker holds a shared lock on <jobs_dir>/worker.lock, so a look tells). A worker killed mid-job: its job's
process sees its parent gone after the batch under way and fails itself, saving nothing (worker.PARENT_ENV);
the next worker that looks ends the job's row failed (job_queue.reconcile) and starts the next job."""
from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from typing import Callable, Optional

from .. import config
from ..errors import Busy, HWLabError
from ..training import jobs
from ..training.job_files import holder
from ..training.worker import PARENT_ENV
from . import job_queue

POLL_S = 1.0  # how often it looks at the line, and at the job it runs
LOCK_NAME = "worker.lock"
_STARTED: list[subprocess.Popen] = []  # `--once` workers this process started (waited for: no zombies)


def _lock_path():
    d = config.jobs_dir()
    d.mkdir(parents=True, exist_ok=True)
    return d / LOCK_NAME


def worker_running() -> bool:
    """Whether a worker runs on this machine now (it holds worker.lock shared)."""
    fd = os.open(_lock_path(), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def ensure_worker() -> bool:
    """Start a `--once` worker in the background unless one runs here; returns whether it started one."""
    for p in list(_STARTED):
        if p.poll() is not None:
            _STARTED.remove(p)
    if worker_running():
        return False
    with open(config.jobs_dir() / "worker.log", "ab") as log:
        _STARTED.append(subprocess.Popen([sys.executable, "-m", "core", "worker", "--once"], cwd=str(config.ROOT),
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True))
    return True


def run(once: bool = False, say: Optional[Callable[[str], None]] = None) -> int:
    """The worker's loop, until SIGTERM or Ctrl+C (or, with `once`, until nobody waits)."""
    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    me = job_queue.worker_id()
    stopping = {"now": False}

    def stop(*_):
        stopping["now"] = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    fd = os.open(_lock_path(), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_SH)  # held while this worker runs: worker_running() sees it
    say(f"worker {me}: waiting for queued training jobs" + (" (until the line is empty)" if once else ""))
    try:
        while not stopping["now"]:
            job_queue.reconcile()
            if holder() is not None:  # this machine trains (a Train page job, the CLI, another worker's job)
                if once and not job_queue.waiting():
                    return 0
                time.sleep(POLL_S)
                continue
            claimed = job_queue.claim(me)
            if claimed is None:
                if once:
                    return 0
                time.sleep(POLL_S)
                continue
            _run_one(claimed, me, say, stopping)
        return 0
    finally:
        os.close(fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_one(claimed: dict, me: str, say, stopping: dict) -> None:
    job_id = claimed["id"]
    try:
        if not (config.jobs_dir() / job_id / "job.json").exists():  # queued on another machine
            jobs.prepare(claimed["settings"], job_id=job_id)
        job = jobs.launch(job_id, extra_env={PARENT_ENV: str(os.getpid())})
    except Busy:  # the machine's lock was taken since the look: back in line, first still
        job_queue.give_back(job_id, me)
        time.sleep(POLL_S)
        return
    except HWLabError as exc:  # settings this machine refuses, a process that cannot start
        job_queue.finish(job_id, "failed", str(exc))
        say(f"worker {me}: job {job_id} could not start: {exc}")
        return
    say(f"worker {me}: job {job_id} started (pid {job.pid}): {claimed['settings'].get('arch')} on "
        f"{claimed['settings'].get('dataset')}")
    while not job.finished:
        if job_queue.heartbeat(job_id, me) or stopping["now"]:
            with contextlib.suppress(HWLabError):
                jobs.cancel(job_id)  # a cancel from any process, or this worker stopping
        time.sleep(POLL_S)
        job = jobs.get(job_id)
    jobs.reap_children()
    job_queue.finish(job_id, job.state, job.message, job.bundle)
    say(f"worker {me}: job {job_id} {job.state}: {job.message or ''}")
