"""Background training jobs: start, look at, cancel and wait for them. Each one is a process of its own
(`python -m core run-job <job folder>`: worker.py, then the new model's map), started in a session of its own so it
outlives a page reload and even the Streamlit server; every browser session reads the same folders
(job_files.py holds their layout and the lock).

One training at a time: start() takes the machine's training lock and hands the locked file to the
worker. A second request while one runs is refused with errors.Busy, naming the job that runs; the Train page
then queues it (core/serving/job_queue.py: prepare() makes its folder, and a worker launch()es it when the machine is free).
`python -m core train` takes the same lock (`exclusive`).

A job that dies without a last word (SIGKILL, out of memory) is marked failed the next time anybody
looks at it; a cancelled one that had to be killed is marked cancelled. run.train writes a bundle only
at the very end, atomically, so neither leaves anything in the models folder.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator, Optional

from .. import config
from ..atomic import write_json
from ..errors import Busy, HWLabError
from .cpu_share import thread_env, train_threads
from .events import JobProgress, log_tail, read_events
from .job_files import LOCK_FD_ENV, busy_message, holder, now, read_json, state_file, try_lock, write_holder
from .settings import Settings, command_line

STATES = ("queued", "running", "done", "failed", "cancelled")
TERMINAL = ("done", "failed", "cancelled")
ID_RE = re.compile(r"^\d{8}-\d{6}-[0-9a-f]{6}$")
CANCEL_GRACE_S = 15.0  # after a cancel request: SIGTERM once this has passed, SIGKILL after twice this


@contextlib.contextmanager
def exclusive(command: str) -> Iterator[None]:
    """Hold the one-training-per-machine lock for this process (the command-line trainer). Raises Busy."""
    fd = try_lock(retries=10)
    if fd is None:
        raise Busy(busy_message(holder() or {}))
    try:
        write_holder(fd, {"pid": os.getpid(), "command": command, "since": time.time()})
        yield
    finally:
        os.close(fd)


# ---------------------------------------------------------------- processes
_CHILDREN: dict[str, subprocess.Popen] = {}  # workers this process started (polled, so no zombies)


def reap_children() -> None:
    """Collect the exit status of every worker this process started that has ended: an ended child that is
    never waited for stays in the process table as a zombie (`<defunct>`) for as long as the app runs."""
    for job_id, child in list(_CHILDREN.items()):
        if child.poll() is not None:
            del _CHILDREN[job_id]


def _proc_alive(pid: Optional[int], job_id: str) -> bool:
    """Whether `pid` is still the worker of `job_id` (not a zombie, not a recycled pid)."""
    if not pid:
        return False
    child = _CHILDREN.get(job_id)
    if child is not None and child.pid == pid:
        return child.poll() is None
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
            return False
        return any(job_id in part for part in proc.cmdline())  # else the pid now belongs to some other program
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # another user's process: it exists, and cannot be told apart


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # the worker leads its own session and process group
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


# ---------------------------------------------------------------- jobs
@dataclass
class Job:
    id: str
    dir: Path
    state: str
    settings: dict
    created: float
    pid: Optional[int] = None
    started: Optional[float] = None
    ended: Optional[float] = None
    message: Optional[str] = None
    bundle: Optional[str] = None
    test_accuracy: Optional[float] = None
    cancel_requested: bool = False
    meta: dict = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL

    @property
    def title(self) -> str:
        s = self.settings
        return f"{s.get('arch')} on {s.get('dataset')}"

    def events(self) -> list[dict]:
        return read_events(self.dir)

    def log_tail(self, max_chars: int = 4000) -> str:
        return log_tail(self.dir, max_chars)

    def progress(self) -> JobProgress:
        return JobProgress.of(self.events())


def _job_dir(job_id: str) -> Path:
    if not isinstance(job_id, str) or not ID_RE.match(job_id):
        raise HWLabError(f"{job_id!r} is not a training job id.")
    return config.jobs_dir() / job_id


def _new_id() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def _env_dirs() -> dict:
    return {"HWLAB_MODELS_DIR": str(config.models_dir()), "HWLAB_DATA_DIR": str(config.data_dir()),
            "HWLAB_JOBS_DIR": str(config.jobs_dir()), "HWLAB_CACHE_DIR": str(config.cache_dir())}


def _write_folder(job_id: str, requested: dict, resolved: dict, queued: bool) -> Path:
    d = config.jobs_dir() / job_id
    d.mkdir(parents=True)
    write_json(d / "settings.json", resolved)
    write_json(d / "job.json", {"id": job_id, "created": now(), "requested": requested, "dirs": _env_dirs(),
                                 "command": command_line(resolved), **({"queued": True} if queued else {})})
    write_json(d / "state.json", {"state": "queued", "created": now()})
    (d / "events.jsonl").touch()
    return d


def _checked(settings) -> tuple[dict, dict]:
    """(the settings as asked, as they will run); raises BadSettings before any folder or process exists."""
    s = settings if isinstance(settings, Settings) else Settings.from_dict(dict(settings or {}))
    return asdict(s), asdict(s.resolved())


def start(settings) -> Job:
    """Check the settings, take the machine's training lock and start the worker; returns the job.
    Raises BadSettings (nothing started) or Busy (another training runs; nothing started)."""
    requested, resolved = _checked(settings)
    return _start_locked(lambda: _write_folder(_new_id(), requested, resolved, queued=False))


def prepare(settings, job_id: Optional[str] = None) -> Job:
    """A job that waits in the queue (core/serving/job_queue.py): its folder, settings checked, no process yet. `job_id`:
    the queue's id, for a worker on a machine that has not seen the job's folder."""
    requested, resolved = _checked(settings)
    if job_id is not None:
        _job_dir(job_id)  # a well-formed id
    return get(_write_folder(job_id or _new_id(), requested, resolved, queued=True).name)


def launch(job_id: str, extra_env: Optional[dict] = None) -> Job:
    """Start a prepared (queued) job now: take the machine's training lock and its process. Raises Busy."""
    d = _job_dir(job_id)
    return _start_locked(lambda: d, extra_env)


def _start_locked(folder, extra_env: Optional[dict] = None) -> Job:
    """Take the machine's training lock, then make the job's folder (`folder()`) and start its process."""
    threads = train_threads()  # a thread cap (HWLAB_TRAIN_THREADS) out of range: BadSettings, nothing started
    fd = try_lock(retries=10)
    if fd is None:
        raise Busy(busy_message(holder() or {}))
    try:
        return _spawn(folder(), fd, threads, extra_env)
    finally:
        os.close(fd)  # the worker holds its own copy of the lock from here on


def _spawn(d: Path, fd: int, threads: int, extra_env: Optional[dict] = None) -> Job:
    job_id = d.name
    env = {**os.environ, **_env_dirs(), **thread_env(threads),  # its share of the CPU: cpu_share.py
           LOCK_FD_ENV: str(fd), "PYTHONUNBUFFERED": "1",
           "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"), **(extra_env or {})}
    try:
        with open(d / "log.txt", "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "core", "run-job", str(d)], cwd=str(config.ROOT),
                                    env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    pass_fds=(fd,), start_new_session=True)
    except OSError as exc:
        message = f"The training process could not be started: {exc}."
        write_json(d / "state.json", {"state": "failed", "created": now(), "ended": now(), "message": message})
        raise HWLabError(message) from None
    _CHILDREN[job_id] = proc
    write_holder(fd, {"pid": proc.pid, "job": job_id, "since": time.time()})
    (d / "pid").write_text(f"{proc.pid}\n")  # state.json is the worker's from now on
    return get(job_id)


# ---------------------------------------------------------------- what the queue asks of a job's folder
def _here(job_id: str) -> Optional[Path]:
    d = _job_dir(job_id)
    return d if (d / "job.json").exists() else None


def mark_ended_in_line(job_id: str, state: str, message: str) -> None:
    """A queued job that never started (cancelled in line): its folder says so too, where it is here."""
    d = _here(job_id)
    if d is not None and state_file(d).get("state") == "queued" and not (d / "pid").exists():
        write_json(d / "state.json", {**state_file(d), "state": state, "ended": now(), "message": message})


def cancel_if_here(job_id: str) -> None:
    if _here(job_id) is not None:
        cancel(job_id)


def ended_here(job_id: str) -> Optional[tuple]:
    """(state, message, bundle) of a job that ended on this machine; None when it has not, or is not here."""
    if _here(job_id) is None:
        return None
    job = get(job_id)
    return (job.state, job.message, job.bundle) if job.finished and job.pid else None


def still_running_here(job_id: str) -> bool:
    if _here(job_id) is None:
        return False
    job = get(job_id)
    return not job.finished and job.pid is not None


def cancel(job_id: str) -> Job:
    """Ask the job to stop: the worker checks the flag after every batch (and a SIGTERM, then a SIGKILL,
    follow if it has not stopped after CANCEL_GRACE_S). Nothing is saved."""
    d = _job_dir(job_id)
    if not d.is_dir():
        raise HWLabError(f"There is no training job {job_id}.")
    job = get(job_id)
    if not job.finished and not (d / "cancel").exists():
        (d / "cancel").write_text(f"{time.time()}\n")
    return get(job_id)


def _last_word(d: Path) -> Optional[dict]:
    for e in reversed(read_events(d)):
        if e.get("event") in TERMINAL:
            return e
    return None


def get(job_id: str) -> Job:
    """The job as it stands now. A job whose process is gone without a last word is marked failed (or
    cancelled, when a cancel was asked for) here, once and for all."""
    reap_children()  # every page that shows a job looks here
    d = _job_dir(job_id)
    meta = read_json(d / "job.json", None)
    if not isinstance(meta, dict):
        raise HWLabError(f"There is no training job {job_id}.")
    state = state_file(d)
    settings = read_json(d / "settings.json", {}) or {}
    cancel_flag = d / "cancel"
    if not state.get("pid"):
        with contextlib.suppress(OSError, ValueError):
            state["pid"] = int((d / "pid").read_text())
    if state.get("state") not in TERMINAL:
        pid = state.get("pid")
        alive = _proc_alive(pid, job_id)
        if not alive and pid is None and (meta.get("queued") or time.time() - meta.get("created", 0) < 30):
            alive = True  # waits in the queue, or start() has not written the pid yet
        if alive and cancel_flag.exists() and pid:
            asked = cancel_flag.stat().st_mtime
            waited = time.time() - asked
            if waited > 2 * CANCEL_GRACE_S:
                _signal_group(pid, signal.SIGKILL)
            elif waited > CANCEL_GRACE_S:
                _signal_group(pid, signal.SIGTERM)
        if not alive:
            word = _last_word(d)
            if word is not None:
                state = {**state, "state": word["event"], "message": word.get("message"), "ended": word.get("t")}
                if word["event"] == "done":  # died between its last event and its state file
                    state.update(bundle=word.get("name"), test_accuracy=word.get("test_accuracy"),
                              message=f"Saved as {word.get('name')}.")
            elif cancel_flag.exists():
                state = {**state, "state": "cancelled", "ended": now(),
                      "message": "Cancelled: the training process was stopped before it finished; nothing was saved."}
            else:
                state = {**state, "state": "failed", "ended": now(),
                      "message": f"The training process (pid {pid}) ended without finishing: it was killed or "
                                 f"crashed (out of memory?). Nothing was saved. See the log."}
            write_json(d / "state.json", state)
            _sweep_partial_bundles(meta.get("dirs", {}).get("HWLAB_MODELS_DIR"))
    return Job(id=job_id, dir=d, state=state.get("state", "failed"), settings=settings, created=meta.get("created", 0),
               pid=state.get("pid"), started=state.get("started"), ended=state.get("ended"), message=state.get("message"),
               bundle=state.get("bundle"), test_accuracy=state.get("test_accuracy"),
               cancel_requested=cancel_flag.exists(), meta=meta)


def _sweep_partial_bundles(models_dir: Optional[str]) -> None:
    """Remove what a killed save left (registry.save_bundle writes .tmp-* folders, then renames), only
    while no training runs on this machine (so that no save is under way)."""
    if not models_dir or not Path(models_dir).is_dir():
        return
    fd = try_lock()
    if fd is None:
        return
    try:
        for p in Path(models_dir).glob(".tmp-*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
    finally:
        os.close(fd)


def list_jobs(limit: Optional[int] = None) -> list[Job]:
    """Every job (or the newest `limit`), newest first."""
    base = config.jobs_dir()
    if not base.is_dir():
        return []
    out = []
    names = sorted((p.name for p in base.iterdir() if p.is_dir() and ID_RE.match(p.name)), reverse=True)
    for name in names[:limit]:
        with contextlib.suppress(HWLabError):
            out.append(get(name))
    return out


def current() -> Optional[Job]:
    """The job that is training on this machine now, if any."""
    h = holder()
    if h and h.get("job"):
        with contextlib.suppress(HWLabError):
            job = get(h["job"])
            if not job.finished:
                return job
    for job in list_jobs(limit=5):  # a job between start and its first look
        if not job.finished and not (job.meta.get("queued") and job.pid is None):  # not one waiting in line
            return job
    return None


def wait(job_id: str, timeout: float = 600.0, poll: float = 0.5) -> Job:
    """Block until the job ends (or the timeout passes); returns it as it stands."""
    end = time.time() + timeout
    job = get(job_id)
    while not job.finished and time.time() < end:
        time.sleep(poll)
        job = get(job_id)
    return job

