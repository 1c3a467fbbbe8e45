"""Train page: pick a dataset, an architecture of the zoo and the training settings, press Train. The
job runs in a process of its own (core.training.jobs): it survives a page reload, every browser session sees it,
and one trains at a time on this machine. A live panel follows it: device, progress per epoch and per
batch with the time left, loss and accuracy curves (train and validation), Cancel. A finished model
joins the model picker; a failed or cancelled job shows its state and log, and changes nothing."""
from __future__ import annotations

import time
from datetime import datetime

import pandas as pd
import streamlit as st

from core import datasets
from core.model import zoo
from core.training import jobs
from core.errors import HWLabError
from ui.chart_text import curves_caption
from ui.charts import training_curves
from ui.train.class_teach import class_teach
from ui.state import DATASET_KEY, MODEL_KEY, bundles, page_frame
from ui.teacher_lock import gate
from ui.train import JOB_KEY
from ui.train.form import K, duration, form_estimate, recipe_pickers, settings_form
from ui.train.line import start_or_queue, waiting_line

page_frame()

STATE_BADGE = {"queued": "queued", "running": "running", "done": "done", "failed": "failed", "cancelled": "cancelled"}


def _when(t) -> str:
    return datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S") if t else "–"


# ---------------------------------------------------------------- the form
st.title(":material/model_training: Train a model")
st.caption("From logistic regression to our own CNN, on any dataset. Training runs in the background, "
           "on the GPU when this machine has one; you can leave this page and come back.")
if not gate("starts and cancels training"):  # a teacher password is set and this browser is not unlocked
    st.stop()
class_teach()  # "Teach the model our handwriting": fine-tune on the class's drawings

dataset, arch = recipe_pickers()
settings = settings_form(dataset, arch, [b.name for b in bundles() if b.ok and
                                         (b.card.get("architecture") or {}).get("name") == arch],
                         {"name": zoo.bundle_name(dataset, arch),
                          "title": f"{zoo.ARCHS[arch].title} · {datasets.DATASETS[dataset].title}"})
if settings is not None:  # Train was pressed: it starts now, or joins the line when the machine is busy
    try:
        estimate = form_estimate(dataset, arch)
    except HWLabError:
        estimate = None
    start_or_queue(settings, settings.get("title") or f"{zoo.ARCHS[arch].title} · {datasets.DATASETS[dataset].title}",
                   estimate["seconds"] if estimate else None)


# ---------------------------------------------------------------- one job, live or finished
def _curves(p: jobs.JobProgress, key: str, running: bool) -> None:
    """Loss and accuracy: the mean within each epoch so far (thin), and per epoch (train, validation)."""
    for col, metric in zip(st.columns(2), ("loss", "accuracy")):
        col.plotly_chart(training_curves({"job": p.history}, metric, running=p.batches, height=300, live=running),
                         key=f"{metric}-{key}", config={"displayModeBar": False})
        curves_caption(col, {"job": p.history}, metric)


def _device(p: jobs.JobProgress) -> str:
    if not p.device:
        return "not known yet"
    kind = "GPU" if p.device.get("kind") == "gpu" else "CPU"
    name = p.device.get("name", "")
    return (f"{kind}: {name}" if kind == "GPU" else name) + f" · {p.device.get('backend', '')}"


def show_job(job: jobs.Job, live: bool) -> None:
    where = "live" if live else "past"
    p = job.progress()
    s = job.settings
    st.markdown(f"**{STATE_BADGE.get(job.state, job.state)}** · job `{job.id}` · "
                f"{zoo.ARCHS[s['arch']].title if s.get('arch') in zoo.ARCHS else s.get('arch')} on "
                f"{datasets.DATASETS[s['dataset']].title if s.get('dataset') in datasets.DATASETS else s.get('dataset')}")
    device = f"Device: {_device(p)} · " if p.device or not job.finished else ""
    st.caption(f"{device}started {_when(job.started or job.created)}"
               + (f" · ended {_when(job.ended)}" if job.ended else "")
               + (f" · pid {job.pid}" if job.pid and not job.finished else ""))
    if not job.finished:
        epochs = p.epochs or s.get("epochs") or 1
        done_epochs = (p.epoch - 1 + (p.batch / p.steps if p.steps else 0)) if p.epoch else 0.0
        st.progress(min(done_epochs / epochs, 1.0),
                    text=f"Epoch {max(p.epoch, 1)} of {epochs}" + (f" · about {duration(p.eta_s)} left"
                                                                    if p.eta_s is not None else ""))
        st.progress(min(p.batch / p.steps, 1.0) if p.steps else 0.0,
                    text=f"Batch {p.batch} of {p.steps}" if p.steps else "Batch –")
        st.caption(f"Now: {p.status or 'starting'}")
        if job.cancel_requested:
            st.warning("Cancelling… (the job stops after the batch under way)")
        elif st.button("Cancel", icon=":material/cancel:", key=f"cancel-{where}-{job.id}"):
            jobs.cancel(job.id)
            st.rerun(scope="fragment" if live else "app")
    elif job.state == "done":
        b = next((b for b in bundles() if b.name == job.bundle), None)
        card = (b.card or {}) if b else {}
        st.success(f"Saved as **{job.bundle}**: it is in the model picker now.")
        c = st.columns(4)
        acc = card.get("test_accuracy", job.test_accuracy)
        c[0].metric("Test accuracy", f"{acc:.2%}" if isinstance(acc, (int, float)) else "–")
        c[1].metric("Drawn-input accuracy", f"{card['drawn_accuracy']:.1%}"
                    if isinstance(card.get("drawn_accuracy"), (int, float)) else "–")
        c[2].metric("Training time", duration(card.get("training_time_s")))
        c[3].metric("Epochs", (card.get("training") or {}).get("epochs_run", len(p.history)))
        if b is not None and st.session_state.get(MODEL_KEY) != job.bundle:
            st.button("Use it now", key=f"use-{where}-{job.id}", on_click=_select_model, args=(job.bundle, card.get("dataset")))
    else:
        (st.warning if job.state == "cancelled" else st.error)(job.message or job.state)
        if "nothing was saved" not in (job.message or "").lower():
            st.caption("Nothing was saved: the models folder is as it was.")
    if p.batches or p.history:
        _curves(p, f"{where}-{job.id}", running=not job.finished)
    with st.expander("Log" + (" (the last lines)" if job.finished and job.state != "done" else ""),
                     expanded=job.state == "failed"):
        st.code(job.log_tail(3000) or "(empty)", language=None)
        st.caption("The same training from the command line:")
        st.code(job.meta.get("command", ""), language="bash")


def _select_model(name: str, dataset: str | None) -> None:
    """A callback (runs before the script): the sidebar picker then shows this model."""
    if dataset:
        st.session_state[DATASET_KEY] = dataset
    st.session_state[MODEL_KEY] = name


# ---------------------------------------------------------------- the live panel
def _shown_job() -> jobs.Job | None:
    running = jobs.current()
    if running is not None:
        return running
    mine = st.session_state.get(JOB_KEY)
    if mine:
        try:
            job = jobs.get(mine)
            if job.state != "queued":  # one waiting in line is shown there (waiting_line)
                return job
        except HWLabError:
            pass
    return next((j for j in jobs.list_jobs(limit=5) if j.state != "queued"), None)


def live_panel() -> None:
    other = jobs.holder()
    if other and not other.get("job"):  # `python -m core train` holds the machine's training lock
        st.info(f"A command-line training is running on this machine (pid {other.get('pid')}): "
                f"`{other.get('command', '')}`. A training pressed meanwhile waits in line and starts when it ends.")
    job = _shown_job()
    if job is None:
        if not other:
            st.info("No training yet on this machine. Fill in the form and press Train.")
        waiting_line()
        return
    watching = st.session_state.get(K + "watch")
    if not job.finished:
        st.session_state[K + "watch"] = job.id
    show_job(job, live=True)
    waiting_line()
    if watching and (job.finished or job.id != watching):
        # The job we followed has ended: refresh the model picker (the sidebar) and the past jobs.
        ended = jobs.get(watching)
        st.session_state.pop(K + "watch", None)
        if ended.state == "done":
            bundles.clear()  # the picker lists it; the session keeps reading with its model until "Use it now"
        st.rerun()


st.subheader("Now")
active = jobs.current() is not None or bool(st.session_state.get(K + "watch")) or any(
    j.state == "queued" for j in jobs.list_jobs(limit=10))
st.fragment(live_panel, run_every=1.0 if active else 5.0)()

# ---------------------------------------------------------------- past jobs
past = [j for j in jobs.list_jobs(limit=50) if j.finished]  # the newest 50; the one under way is above
if past:
    st.subheader("Past jobs")
    rows = []
    for j in past:
        s = j.settings
        rows.append({"job": j.id, "state": STATE_BADGE.get(j.state, j.state), "architecture": s.get("arch"),
                     "dataset": s.get("dataset"), "epochs": s.get("epochs"), "batch": s.get("batch_size"),
                     "started": _when(j.started or j.created),
                     "took": duration((j.ended or time.time()) - (j.started or j.created)),
                     "model": j.bundle or "–",
                     "test accuracy": f"{j.test_accuracy:.2%}" if j.test_accuracy is not None else "–",
                     "message": j.message or ""})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="train_jobs_table")
    shown = _shown_job()  # the one under "Now" is not offered again here
    others = [j for j in past if shown is None or j.id != shown.id]
    if others:
        pick = st.selectbox("Look at another past job", [j.id for j in others], key=K + "past",
                            format_func=lambda i: next(f"{j.id} · {j.title} · {j.state}" for j in others if j.id == i))
        with st.container(border=True):
            show_job(next(j for j in others if j.id == pick), live=False)
