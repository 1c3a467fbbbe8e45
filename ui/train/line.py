"""The Train page's line of jobs (core/serving/job_queue.py): Train starts at once when this machine is free
and nobody waits; otherwise the job joins the line, a worker runs it in its turn, and the page says its place
("2nd in line, about 3 min"). Every process of the school's server sees the same line."""
from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
import streamlit as st

from core.errors import Busy, HWLabError
from core.serving import job_queue, queue_worker
from core.training import jobs

from . import JOB_KEY, WIDGET_PREFIX

MINE_KEY = WIDGET_PREFIX + "mine"  # the jobs this browser session started or queued
UNREACHABLE = (HWLabError, sa.exc.SQLAlchemyError, OSError)


def _queue_down(exc: Exception) -> str:
    return (f"The line of training jobs is kept in the class database, which cannot be used right now "
            f"({str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__}).")


def start_or_queue(settings: dict, title: str, estimate_s: Optional[float]) -> None:
    """Train was pressed: start now, or join the line; says which (a toast), or why neither (an error)."""
    try:
        someone_waits = bool(job_queue.waiting())
    except UNREACHABLE:
        someone_waits = False  # no queue: the machine's own lock still decides
    if not someone_waits:
        try:
            job = jobs.start(settings)
        except Busy as busy:
            _queue(settings, title, estimate_s, busy)
        except HWLabError as exc:  # settings out of range: nothing started
            st.error(str(exc))
        else:
            _remember(job.id)
            st.toast(f"Training started: job {job.id}", icon=":material/model_training:")
        return
    _queue(settings, title, estimate_s, None)


def _remember(job_id: str) -> None:
    st.session_state[JOB_KEY] = job_id
    st.session_state[MINE_KEY] = st.session_state.get(MINE_KEY, []) + [job_id]


def _queue(settings: dict, title: str, estimate_s: Optional[float], busy: Optional[Busy]) -> None:
    try:
        job_id = job_queue.submit(settings, title, estimate_s)
        queue_worker.ensure_worker()
        line = job_queue.listing()
        place = next((q for q in line if q.id == job_id), None)
    except HWLabError as exc:  # settings out of range (checked before it joins the line)
        st.error(str(exc))
        return
    except UNREACHABLE as exc:
        st.error((str(busy) + " " if busy else "") + _queue_down(exc) + " Press Train again when this one ends.")
        return
    _remember(job_id)
    st.toast(f"Queued: job {job_id} is {job_queue.place_sentence(place, ahead_s(place, line)) if place else 'in line'}. "
             f"It starts by itself in its turn.", icon=":material/schedule:")


def ahead_s(job: job_queue.Queued, line: list[job_queue.Queued]) -> Optional[float]:
    """Seconds until `job` starts: what is left of the training under way here, plus the estimates of the jobs
    ahead of it in line (None when any of that is not known: a command-line training, a job not yet measured)."""
    total = 0.0
    now = jobs.current()
    if now is not None:
        left = now.progress().eta_s
        if left is None:
            return None
        total += left
    elif jobs.holder() is not None:  # `python -m core train`: how long it takes is not known here
        return None
    for q in line:  # job_queue.listing(), read once by the caller
        if q.position is None or job.position is None or q.position >= job.position:
            continue
        if q.state == job_queue.RUNNING:
            if now is None or q.id != now.id:  # it runs on another machine
                return None
        elif q.estimate_s is None:
            return None
        else:
            total += q.estimate_s
    return total


def waiting_line() -> None:
    """"Waiting in line": the queued jobs in their order, each with its place and a Cancel for the teacher."""
    try:
        everything = job_queue.listing()
    except UNREACHABLE:
        return
    line = [q for q in everything if q.state == job_queue.WAITING]
    if not line:
        return
    st.subheader("Waiting in line")
    mine = set(st.session_state.get(MINE_KEY, []))
    for q in line:
        with st.container(border=True):
            c = st.columns([4, 1], vertical_alignment="center")
            c[0].markdown(f"**{job_queue.place_sentence(q, ahead_s(q, everything))}** · job `{q.id}` · {q.title}"
                          + (" · *yours*" if q.id in mine else ""))
            if c[1].button("Cancel", icon=":material/cancel:", key=f"cancel-line-{q.id}",
                           help="It leaves the line; nothing was trained yet."):
                try:
                    st.toast(job_queue.cancel(q.id), icon=":material/cancel:")
                except UNREACHABLE as exc:
                    st.error(str(exc))
                st.rerun()
