"""The training jobs' queue, in the class database (schema version 4: `training_jobs`), so that every app
process, and a worker on another machine, sees the same line.

A job is queued with its checked settings (its folder is prepared at once where it was queued: jobs.prepare);
a worker (queue_worker.py) claims the oldest queued job by compare-and-set, an UPDATE that only a still
queued row passes, so two workers that claim at once never take the same job, on SQLite as on PostgreSQL.
While it trains, the worker writes a heartbeat; a job whose worker stopped answering for STALE_S ends failed
with a sentence (`reconcile`), and the next job starts.

The job's folder (job_files.py) keeps its progress, log and events where it runs; the row keeps what any
process needs to show the line: state, place, title, the time it should take, and how it ended."""
from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa

from ..classroom.schema import training_jobs as T
from ..errors import HWLabError
from ..training import jobs

STALE_S = 30.0  # a running job's worker that has not written for this long has stopped
WAITING, RUNNING = "queued", "running"
ENDED = ("done", "failed", "cancelled")


@dataclass
class Queued:
    """One row of the line, as `python -m core jobs` prints it."""
    id: str
    state: str
    position: Optional[int]  # 1: the job training now, 2: the next one...; None once it has ended
    title: str
    created: float
    estimate_s: Optional[float]
    worker: Optional[str]
    bundle: Optional[str]
    message: Optional[str]
    cancel_requested: bool

    def line(self) -> dict:
        return {"id": self.id, "state": self.state, "position": self.position, "bundle": self.bundle,
                "created": self.created, "title": self.title, "message": self.message}


def _engine() -> sa.Engine:
    from ..classroom.store import open_store

    return open_store().ready_engine()


def _run(write):
    """A write in a transaction of its own, again after a moment when another writer holds SQLite's lock."""
    for attempt in range(30):
        try:
            with _engine().begin() as conn:
                return write(conn)
        except sa.exc.OperationalError as exc:
            if "lock" not in str(exc).lower() or attempt == 29:
                raise
            time.sleep(0.05 * (attempt + 1))


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def submit(settings: dict, title: str, estimate_s: Optional[float] = None) -> str:
    """Queue a training: its folder is prepared here (the settings are checked first: BadSettings), its row
    joins the end of the line. Returns the job's id."""
    job = jobs.prepare(settings)
    _run(lambda conn: conn.execute(sa.insert(T).values(
        id=job.id, state=WAITING, created=job.created, settings=json.dumps(job.settings), title=title,
        estimate_s=estimate_s, cancel_requested=False)))
    return job.id


def claim(worker: str) -> Optional[dict]:
    """Take the oldest queued job for `worker`: {"id", "settings"}, or None when nobody waits."""
    with _engine().connect() as conn:
        waiting = conn.execute(sa.select(T.c.id, T.c.settings).where(T.c.state == WAITING)
                               .order_by(T.c.created, T.c.id).limit(10)).all()
    for job_id, settings in waiting:
        taken = _run(lambda conn: conn.execute(
            sa.update(T).where(T.c.id == job_id, T.c.state == WAITING)
            .values(state=RUNNING, worker=worker, heartbeat=time.time())).rowcount)
        if taken == 1:  # else another worker took it between the look and the update
            return {"id": job_id, "settings": json.loads(settings)}
    return None


def give_back(job_id: str, worker: str) -> None:
    """A claimed job that could not start here (the machine's lock was taken meanwhile) goes back in line."""
    _run(lambda conn: conn.execute(sa.update(T).where(T.c.id == job_id, T.c.worker == worker, T.c.state == RUNNING)
                                   .values(state=WAITING, worker=None, heartbeat=None)))


def heartbeat(job_id: str, worker: str) -> bool:
    """The worker is alive and runs the job; returns whether a cancel was asked for meanwhile."""
    def write(conn):
        conn.execute(sa.update(T).where(T.c.id == job_id, T.c.worker == worker).values(heartbeat=time.time()))
        return bool(conn.execute(sa.select(T.c.cancel_requested).where(T.c.id == job_id)).scalar())
    return _run(write)


def finish(job_id: str, state: str, message: Optional[str], bundle: Optional[str] = None) -> None:
    if state not in ENDED:
        raise ValueError(state)
    _run(lambda conn: conn.execute(sa.update(T).where(T.c.id == job_id, T.c.state.in_((WAITING, RUNNING)))
                                   .values(state=state, message=message, bundle=bundle, ended=time.time())))


def cancel(job_id: str) -> str:
    """Cancel a job: a queued one leaves the line at once; a running one is asked to stop (its worker passes it
    on after its next heartbeat). Returns a sentence."""
    def write(conn):
        left = conn.execute(sa.update(T).where(T.c.id == job_id, T.c.state == WAITING).values(
            state="cancelled", ended=time.time(), message="Cancelled while it waited in line: nothing was trained.")
        ).rowcount
        if left:
            return "queued"
        asked = conn.execute(sa.update(T).where(T.c.id == job_id, T.c.state == RUNNING)
                             .values(cancel_requested=True)).rowcount
        return "running" if asked else None
    was = _run(write)
    if was is None:
        raise HWLabError(f"Job {job_id} is not waiting or running: there is nothing to cancel.")
    if was == "queued":
        jobs.mark_ended_in_line(job_id, "cancelled", "Cancelled while it waited in line: nothing was trained.")
        return f"Job {job_id} left the line; nothing was trained."
    jobs.cancel_if_here(job_id)
    return f"Job {job_id} is asked to stop after the batch under way; nothing is saved."


def reconcile() -> None:
    """End the running jobs whose worker has stopped answering (killed, or its machine went down): failed, with a
    sentence; the job's process, if it still runs here, fails itself when it sees its worker gone."""
    stale = time.time() - STALE_S
    with _engine().connect() as conn:
        rows = conn.execute(sa.select(T.c.id, T.c.worker).where(T.c.state == RUNNING, T.c.heartbeat < stale)).all()
    for job_id, worker in rows:
        here = jobs.ended_here(job_id)  # the job's own last word, where its folder is on this machine
        if here is None:
            if jobs.still_running_here(job_id):
                continue  # its process winds down: it writes its own end in a moment
            here = ("failed", f"Its worker ({worker}) stopped while it ran the job: nothing was saved, and the "
                              f"models folder is as it was. The next job in line starts.", None)
        finish(job_id, *here)


def listing(limit: int = 50) -> list[Queued]:
    """The line and the newest ended jobs: running first, then the queued ones in their order, then the rest,
    newest first."""
    with _engine().connect() as conn:
        rows = conn.execute(sa.select(T).where(T.c.state.in_((WAITING, RUNNING)))).mappings().all()  # all of the line
        rows += conn.execute(sa.select(T).where(T.c.state.in_(ENDED)).order_by(T.c.created.desc())
                             .limit(limit)).mappings().all()
    active = sorted((r for r in rows if r["state"] in (RUNNING, WAITING)),
                    key=lambda r: (r["state"] != RUNNING, r["created"], r["id"]))
    place = {r["id"]: i + 1 for i, r in enumerate(active)}
    out = [Queued(id=r["id"], state=r["state"], position=place.get(r["id"]), title=r["title"],
                  created=r["created"], estimate_s=r["estimate_s"], worker=r["worker"], bundle=r["bundle"],
                  message=r["message"], cancel_requested=bool(r["cancel_requested"])) for r in rows]
    return sorted(out, key=lambda q: (q.position is None, q.position or 0, -q.created))


def waiting() -> list[Queued]:
    return [q for q in listing() if q.state == WAITING]


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def place_sentence(job: Queued, ahead_s: Optional[float]) -> str:
    """'2nd in line, about 3 min' (the time only where every job ahead has an estimate)."""
    said = f"{ordinal(job.position)} in line" if job.position else job.state
    if ahead_s is not None and job.position:
        said += f", about {max(1, round(ahead_s / 60))} min" if ahead_s >= 60 else ", less than a minute"
    return said
