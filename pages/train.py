"""Train page: pick a dataset, an architecture of the zoo and the training settings, press Train. The
job runs in a process of its own (core.jobs): it survives a page reload, every browser session sees it,
and one trains at a time on this machine. A live panel follows it: device, progress per epoch and per
batch with the time left, loss and accuracy curves (train and validation), Cancel. A finished model
joins the model picker; a failed or cancelled job shows its state and log, and changes nothing."""
from __future__ import annotations

import time
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.errors import StreamlitAPIException

from core import datasets, drawn, jobs, zoo
from core.errors import HWLabError
from core.training import MAX_BATCH, OPTIMIZERS, SCHEDULES, Settings
from ui.state import MODEL_KEY, bundles, page_frame
from ui.class_teach import class_teach
from ui.teacher_lock import gate

page_frame()

OPTIMIZER_LABELS = {"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD with Nesterov momentum 0.9"}
SCHEDULE_LABELS = {"constant": "Constant", "plateau": "Reduce on plateau (halve after 2 flat epochs)",
                   "one-cycle": "One-cycle (warm up, then cosine down)"}
STATE_BADGE = {"queued": "⏳ queued", "running": "🏃 running", "done": "✅ done", "failed": "❌ failed",
               "cancelled": "⛔ cancelled"}
AUG_RANGES = {"rotation": (0.0, 45.0, 1.0, "Rotation (± degrees)"), "shift": (0.0, 0.3, 0.01, "Shift (± fraction)"),
              "zoom": (0.0, 0.3, 0.01, "Zoom (± fraction)"), "stroke": (0.0, 1.0, 0.05, "Stroke width (± amount)")}
DEFAULTS = Settings()
K = "train_"  # widget keys


def _arch_defaults(name: str) -> dict:
    """The settings an architecture trains well with (zoo.Arch.defaults over training.Settings)."""
    d = zoo.get(name).defaults
    aug = d.get("augment", {})
    return {"epochs": d.get("epochs", 10), "learning_rate": d.get("learning_rate", 1e-3),
            "schedule": d.get("schedule", "constant"), **{f"aug_{k}": float(aug.get(k, 0.0)) for k in AUG_RANGES}}


def _apply_arch_defaults() -> None:
    for k, v in _arch_defaults(st.session_state[K + "arch"]).items():
        st.session_state[K + k] = v


def _duration(seconds) -> str:
    if seconds is None:
        return "–"
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min" if seconds >= 3600 else (
        f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s")


def _when(t) -> str:
    return datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S") if t else "–"


# ---------------------------------------------------------------- the form
st.title("🏋️ Train a model")
st.caption("Every model of the seeds and one of our own, on any dataset. Training runs in the background, "
           "on the GPU when this machine has one; you can leave this page and come back.")
if not gate("starts and cancels training"):  # a teacher password is set and this browser is not unlocked
    st.stop()
class_teach()  # "Teach the model our handwriting": fine-tune on the class's drawings

st.session_state.setdefault(K + "dataset", "mnist")
st.session_state.setdefault(K + "arch", DEFAULTS.arch)
for key, value in _arch_defaults(st.session_state[K + "arch"]).items():
    st.session_state.setdefault(K + key, value)

top = st.columns(2)
with top[0]:
    dataset = st.selectbox("Dataset", list(datasets.DATASETS), key=K + "dataset",
                           format_func=lambda n: datasets.DATASETS[n].title)
    try:
        status = datasets.file_status(dataset)
        st.caption(("" if status["usable"] else "⚠ ") + status["how"])
    except HWLabError as exc:
        st.caption(str(exc))
with top[1]:
    arch = st.selectbox("Architecture", list(zoo.ARCHS), key=K + "arch", on_change=_apply_arch_defaults,
                        format_func=lambda n: zoo.ARCHS[n].title)
    st.caption(f"`{arch}` · {zoo.ARCHS[arch].kind} · its suggested epochs, learning rate, schedule and "
               f"augmentation fill the form when you pick it.")

with st.form("train_form", border=True):
    c = st.columns(4)
    epochs = c[0].number_input("Epochs", 1, 1000, key=K + "epochs", step=1)
    batch_size = c[1].number_input("Batch size", 1, MAX_BATCH, DEFAULTS.batch_size, step=32, key=K + "batch_size",
                                   help="Larger batches run faster, up to where they still converge.")
    optimizer = c[2].selectbox("Optimizer", OPTIMIZERS, key=K + "optimizer", format_func=OPTIMIZER_LABELS.get)
    learning_rate = c[3].number_input("Learning rate", 0.00001, 10.0, key=K + "learning_rate", step=0.0001,
                                      format="%.5f", help="The peak rate for one-cycle.")
    c = st.columns(4)
    schedule = c[0].selectbox("Schedule", SCHEDULES, key=K + "schedule", format_func=SCHEDULE_LABELS.get)
    early_stopping = c[1].number_input("Early stopping (patience, epochs)", 0, 1000, DEFAULTS.early_stopping,
                                       key=K + "early_stopping",
                                       help="Stop when the validation loss has not improved for this many epochs "
                                            "and keep the best weights. 0 = off.")
    validation_fraction = c[2].slider("Validation fraction", 0.0, 0.5, DEFAULTS.validation_fraction, 0.01,
                                      key=K + "validation_fraction",
                                      help="Held out of the training images to draw the validation curves.")
    seed = c[3].number_input("Seed", 0, 2**31 - 1, DEFAULTS.seed, key=K + "seed")
    st.markdown("**Augmentation** (random per image, on the fly; never saved inside the model)")
    c = st.columns(4)
    augment = {}
    for col, (name, (lo, hi, step, label)) in zip(c, AUG_RANGES.items()):
        augment[name] = col.slider(label, lo, hi, step=step, key=K + f"aug_{name}")
    c = st.columns(4)
    pen_strokes = c[0].checkbox("Add pen strokes", DEFAULTS.pen_strokes, key=K + "pen_strokes",
                                help="Add real pen-drawn characters (their training writers only) to the training "
                                     "images, rendered like the canvas renders a drawing.")
    pen_sources = c[1].multiselect("Pen-stroke sources", list(drawn.SOURCES), ["unipen"], key=K + "pen_sources")
    pen_repeat = c[2].number_input("Pen strokes repeated", 1, 10, DEFAULTS.pen_repeat, key=K + "pen_repeat")
    sibling = c[3].checkbox("EMNIST: add the other layout's images", DEFAULTS.emnist_sibling, key=K + "emnist_sibling",
                            help="ByClass and ByMerge only: their test files hold mostly different images. Adds "
                                 "the other file's images, relabelled, leaving out every held-out test image.")
    with st.expander("More: name, title, a quick try on fewer images, fine-tuning, precision"):
        c = st.columns(3)
        name = c[0].text_input("Model name", key=K + "name", placeholder=f"{dataset}-{arch}",
                               help="Letters, digits, '.', '_' and '-'. A taken name gets -2, -3, …")
        title = c[1].text_input("Title", key=K + "title", placeholder=f"{zoo.ARCHS[arch].title} · "
                                                                      f"{datasets.DATASETS[dataset].title}")
        limit = c[2].number_input("Train on the first N images only (0 = all)", 0, 10_000_000, 0, step=1000,
                                  key=K + "limit")
        c = st.columns(3)
        seeds = [b.name for b in bundles() if b.ok and (b.card.get("architecture") or {}).get("name") == arch]
        init_from = c[0].selectbox("Start from the weights of", ["—"] + seeds, key=K + "init_from",
                                   help="A model of the same architecture: fine-tuning when its classes are the "
                                        "same, else every layer but the output layer (transfer learning).")
        mixed = c[1].selectbox("Mixed precision", ["auto", "on", "off"], key=K + "mixed_precision",
                               help="auto: bfloat16 on a GPU, float32 on a CPU.")
        drawn_eval = c[2].checkbox("Measure drawn-input accuracy after training", DEFAULTS.drawn_eval,
                                   key=K + "drawn_eval")
        prior = st.checkbox("Shift the output back to the dataset's own class balance", DEFAULTS.prior_correction,
                            key=K + "prior_correction",
                            help="For added images (EMNIST sibling, pen strokes) that change how often each class "
                                 "is seen in training: the saved model then predicts as if trained on the "
                                 "dataset's own balance, the one its test set has.")
    submitted = st.form_submit_button("Train", type="primary", icon="🏋️")

if submitted:
    settings = {
        "dataset": dataset, "arch": arch, "epochs": int(epochs), "batch_size": int(batch_size),
        "optimizer": optimizer, "learning_rate": float(learning_rate), "schedule": schedule,
        "early_stopping": int(early_stopping), "augment": {k: float(v) for k, v in augment.items() if v},
        "validation_fraction": float(validation_fraction), "seed": int(seed), "pen_strokes": bool(pen_strokes),
        "pen_sources": ",".join(pen_sources) or "unipen", "pen_repeat": int(pen_repeat),
        "limit": int(limit) or None, "name": name.strip() or None, "title": title.strip() or None,
        "init_from": None if init_from == "—" else init_from, "mixed_precision": mixed, "drawn_eval": bool(drawn_eval),
        "emnist_sibling": bool(sibling), "prior_correction": bool(prior),
    }
    try:
        job = jobs.start(settings)
    except HWLabError as exc:  # settings out of range (nothing started) or another training runs
        st.error(str(exc))
    else:
        st.session_state[K + "job"] = job.id
        st.session_state[K + "mine"] = st.session_state.get(K + "mine", []) + [job.id]
        st.toast(f"Training started: job {job.id}", icon="🏋️")


# ---------------------------------------------------------------- one job, live or finished
def _curves(p: jobs.Progress, key: str) -> None:
    """Loss and accuracy: the running mean of the epoch under way (train), per epoch (train, validation)."""
    cols = st.columns(2)
    for col, metric, label in ((cols[0], "loss", "Loss"), (cols[1], "accuracy", "Accuracy")):
        fig = go.Figure()
        if p.batches:
            fig.add_scatter(x=[b["x"] for b in p.batches], y=[b[metric] for b in p.batches], mode="lines",
                            name="train (running)", line=dict(color="#74c0fc", width=1))
        if p.history:
            fig.add_scatter(x=[h["epoch"] for h in p.history], y=[h.get(metric) for h in p.history],
                            mode="lines+markers", name="train", line=dict(color="#1c7ed6"))
            if any(h.get(f"val_{metric}") is not None for h in p.history):
                fig.add_scatter(x=[h["epoch"] for h in p.history], y=[h.get(f"val_{metric}") for h in p.history],
                                mode="lines+markers", name="validation", line=dict(color="#e8590c"))
        fig.update_layout(title=label, height=300, margin=dict(l=10, r=10, t=40, b=10), xaxis_title="epoch",
                          legend=dict(orientation="h", y=-0.25),
                          yaxis=dict(tickformat=".1%") if metric == "accuracy" else dict(type="log"))
        col.plotly_chart(fig, key=f"{metric}-{key}", config={"displayModeBar": False})


def _device(p: jobs.Progress) -> str:
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
    st.caption(f"Device: {_device(p)} · started {_when(job.started or job.created)}"
               + (f" · ended {_when(job.ended)}" if job.ended else "")
               + (f" · pid {job.pid}" if job.pid and not job.finished else ""))
    if not job.finished:
        epochs = p.epochs or s.get("epochs") or 1
        done_epochs = (p.epoch - 1 + (p.batch / p.steps if p.steps else 0)) if p.epoch else 0.0
        st.progress(min(done_epochs / epochs, 1.0),
                    text=f"Epoch {max(p.epoch, 1)} of {epochs}" + (f" · about {_duration(p.eta_s)} left"
                                                                    if p.eta_s is not None else ""))
        st.progress(min(p.batch / p.steps, 1.0) if p.steps else 0.0,
                    text=f"Batch {p.batch} of {p.steps}" if p.steps else "Batch –")
        st.caption(f"Now: {p.status or 'starting'}")
        if job.cancel_requested:
            st.warning("Cancelling… (the job stops after the batch under way)")
        elif st.button("Cancel", icon="⛔", key=f"cancel-{where}-{job.id}"):
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
        c[2].metric("Training time", _duration(card.get("training_time_s")))
        c[3].metric("Epochs", (card.get("training") or {}).get("epochs_run", len(p.history)))
        if b is not None and st.session_state.get(MODEL_KEY) != job.bundle:
            st.button("Use it now", key=f"use-{where}-{job.id}", on_click=_select_model, args=(job.bundle, card.get("dataset")))
    else:
        (st.warning if job.state == "cancelled" else st.error)(job.message or job.state)
        st.caption("Nothing was saved: the models folder is as it was.")
    if p.batches or p.history:
        _curves(p, f"{where}-{job.id}")
    with st.expander("Log" + (" (the last lines)" if job.finished and job.state != "done" else ""),
                     expanded=job.state == "failed"):
        st.code(job.log_tail(3000) or "(empty)", language=None)
        st.caption("The same training from the command line:")
        st.code(job.meta.get("command", ""), language="bash")


def _select_model(name: str, dataset: str | None) -> None:
    """A callback (runs before the script): the sidebar picker then shows this model."""
    if dataset:
        st.session_state["picker_dataset"] = dataset
    st.session_state[MODEL_KEY] = name


# ---------------------------------------------------------------- the live panel
def _shown_job() -> jobs.Job | None:
    running = jobs.current()
    if running is not None:
        return running
    mine = st.session_state.get(K + "job")
    if mine:
        try:
            return jobs.get(mine)
        except HWLabError:
            pass
    past = jobs.list_jobs(limit=1)
    return past[0] if past else None


def live_panel() -> None:
    other = jobs.holder()
    if other and not other.get("job"):  # `python -m core train` holds the machine's training lock
        st.info(f"A command-line training is running on this machine (pid {other.get('pid')}): "
                f"`{other.get('command', '')}`. A new training can start when it ends.")
    job = _shown_job()
    if job is None:
        st.info("No training yet on this machine. Fill in the form and press Train.")
        return
    watching = st.session_state.get(K + "watch")
    if not job.finished:
        st.session_state[K + "watch"] = job.id
    show_job(job, live=True)
    if watching and (job.finished or job.id != watching):
        # The job we followed has ended: refresh the model picker (the sidebar) and the past jobs.
        ended = jobs.get(watching)
        st.session_state.pop(K + "watch", None)
        if ended.state == "done":
            bundles.clear()
            if watching in st.session_state.get(K + "mine", []):  # started here: pick it for this session
                try:
                    _select_model(ended.bundle, ended.settings.get("dataset"))
                except StreamlitAPIException:  # a full run has drawn the picker already: "Use it now" does it
                    pass
        st.rerun()


st.subheader("Now")
active = jobs.current() is not None or bool(st.session_state.get(K + "watch"))
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
                     "took": _duration((j.ended or time.time()) - (j.started or j.created)),
                     "model": j.bundle, "test accuracy": j.test_accuracy * 100 if j.test_accuracy else None,
                     "message": j.message})
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="train_jobs_table", column_config={
        "test accuracy": st.column_config.NumberColumn(format="%.2f%%")})
    pick = st.selectbox("Look at a past job", [j.id for j in past], key=K + "past",
                        format_func=lambda i: next(f"{j.id} · {j.title} · {j.state}" for j in past if j.id == i))
    with st.container(border=True):
        show_job(next(j for j in past if j.id == pick), live=False)
