"""Datasets page: every dataset of the seeds, what of it is here, counts, class distributions and a grid
of samples per class; downloads (MNIST, EMNIST), uploads (Kaggle) and a submission.csv for Kaggle."""
from __future__ import annotations

import math
import time

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw, ImageFont

from core import config, datasets
from core.model import kaggle_submission as submission
from core.datasets import kaggle
from core.errors import HWLabError
from ui.chart_text import counts_table
from ui.charts import class_bars
from ui.state import bundles, current_model_name, dataset, follow_current_dataset, page_frame, predictor
from ui.teacher_lock import gate

page_frame()

BADGE = {"complete": "here", "bundled": "here", "partial": "partly here", "derived": "derived", "missing": "missing"}
SEED_KEY = "datasets_seed"


# ---------------------------------------------------------------- cached loading (never mutate what comes back)
@st.cache_resource(show_spinner="Reading test.csv…", max_entries=1)
def _kaggle_test(path: str, mtime: float) -> kaggle.KaggleCSV:
    data = kaggle.read_csv(path, "test")
    data.x.setflags(write=False)
    return data


# ---------------------------------------------------------------- pictures
def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # a Pillow without FreeType
        return ImageFont.load_default()


def sample_grid(x: np.ndarray, picks: list[np.ndarray], classes: list[str], per_class: int, blocks: int,
                scale: int = 2) -> Image.Image:
    """One picture: a row of samples per class, its character on the left, classes in `blocks` columns."""
    cell, gap, label_w, block_gap = 28 * scale, 2, 40, 18
    rows = math.ceil(len(classes) / blocks)
    block_w = label_w + per_class * (cell + gap)
    canvas = np.full((rows * (cell + gap), blocks * block_w + (blocks - 1) * block_gap), 45, np.uint8)
    for c, idx in enumerate(picks):
        b, r = divmod(c, rows)
        y0, x0 = r * (cell + gap), b * (block_w + block_gap) + label_w
        for k, i in enumerate(idx):
            canvas[y0:y0 + cell, x0 + k * (cell + gap):x0 + k * (cell + gap) + cell] = np.kron(
                x[i], np.ones((scale, scale), np.uint8))
    im = Image.fromarray(canvas, "L").convert("RGB")
    draw, font = ImageDraw.Draw(im), _font(int(cell * 0.55))
    for c, name in enumerate(classes):
        b, r = divmod(c, rows)
        draw.text((b * (block_w + block_gap) + label_w / 2 - 2, r * (cell + gap) + cell / 2), str(name),
                  fill=(214, 51, 108), font=font, anchor="mm")
    return im


# ---------------------------------------------------------------- downloads and uploads
def _progress_bar(what: str, slot):
    bar = slot.progress(0.0, text=f"Downloading {what}…")
    last = [0.0]

    def update(done: int, total):
        now = time.monotonic()
        if now - last[0] < 0.25 and not (total and done >= total):
            return
        last[0] = now
        if total:
            bar.progress(min(done / total, 1.0), text=f"Downloading {what}: {done / 1e6:.1f} of {total / 1e6:.1f} MB")
        else:
            bar.progress(0.0, text=f"Downloading {what}: {done / 1e6:.1f} MB")

    return update


def download_button(name: str, status: dict, label: str, error_slot=None) -> None:
    """The download button; a failure's sentence replaces the one in `error_slot` (the page's "missing" error,
    which it repeats and adds to) rather than a second error under it, and the progress bar goes."""
    size = datasets.download_size_mb(name)
    if not size or not gate("downloads datasets"):
        return
    what = "MNIST" if name == "mnist" else "NIST's EMNIST gzip.zip (every split)"
    st.caption(f"From {status['source']} into {config.download_dir()}; the checksum is checked once it is here. "
               f"Stay on this page "
               f"until it ends: leaving it stops the download and nothing half-done is kept.")
    if st.button(f"{label} (about {size:.0f} MB)", icon=":material/download:", key=f"download-{name}"):
        slot = st.empty()
        try:
            datasets.fetch(name, _progress_bar(what, slot))
        except HWLabError as exc:
            slot.empty()
            (error_slot or st).error(str(exc))
        else:
            st.success("Downloaded and verified.")
            st.rerun()


def _install(source, kind: str, name: str) -> None:
    try:
        with st.spinner(f"Checking {name}…"):
            path, rows = kaggle.install(source, kind, name)
    except HWLabError as exc:
        st.error(str(exc))
    else:
        st.success(f"{kind}.csv saved ({rows:,} images) in {path.parent}.")


def kaggle_files() -> None:
    if not gate("uploads datasets"):
        return
    st.markdown(f"Kaggle needs a login, so nothing is downloaded here: get **train.csv** and **test.csv** from "
                f"[the competition's data page]({kaggle.URL}) and give them here. Each file is checked "
                f"(`label`, `pixel0` … `pixel783`, integers 0-255) before it is saved.")
    limit = int(st.get_option("server.maxUploadSize"))
    if limit < 80:
        st.caption(f"Kaggle's train.csv is about 73 MB, over this server's upload limit of {limit} MB "
                   f"(`server.maxUploadSize`): give the folder that has it below, or raise that limit.")
    cols = st.columns(2)
    for col, kind in zip(cols, ("train", "test")):
        with col:
            up = st.file_uploader(f"{kind}.csv", type=["csv"], key=f"kaggle-{kind}-upload")
            done_key = f"kaggle-{kind}-installed"
            if up is not None:
                fid = getattr(up, "file_id", None) or (up.name, up.size)
                if st.session_state.get(done_key) != fid:
                    st.session_state[done_key] = fid
                    _install(up, kind, up.name)
    with st.form("kaggle-folder", border=False):
        folder = st.text_input("…or a folder on this computer that has train.csv and/or test.csv",
                               placeholder="~/Downloads/digit-recognizer")
        if st.form_submit_button("Use the files in this folder") and folder.strip():
            from pathlib import Path

            base = Path(folder.strip()).expanduser()
            found = [k for k in ("train", "test") if (base / f"{k}.csv").is_file()]
            if not found:
                st.error(f"No train.csv or test.csv in {base}.")
            for k in found:
                _install(base / f"{k}.csv", k, f"{k}.csv")


def kaggle_submission() -> None:
    test_path = kaggle.find("test")
    st.subheader("submission.csv")
    if test_path is None:
        st.info("Add test.csv above to export predictions for it as submission.csv.")
        return
    usable = [b for b in bundles() if b.ok and set(datasets.DIGITS) <= {str(c) for c in b.card.get("classes", [])}]
    if not usable:
        st.warning("No model that knows the digits 0-9 is in the models folder.")
        return
    names = [b.name for b in usable]
    current = current_model_name()
    model = st.selectbox("Model", names, index=names.index(current) if current in names else 0,
                         format_func=lambda n: next(b.title for b in usable if b.name == n), key="kaggle-model")
    if gate("predicts every image of test.csv (heavy work)") and \
            st.button("Predict every image of test.csv", icon=":material/batch_prediction:"):
        try:
            data = _kaggle_test(str(test_path), test_path.stat().st_mtime)
            pred = predictor(model)
            bar = st.progress(0.0, text="Predicting…")
            labels = submission.predict_digits(pred, pred.classes, data.x,
                                           progress=lambda d, t: bar.progress(d / t, text=f"Predicting: {d:,} of {t:,}"))
        except HWLabError as exc:
            st.error(str(exc))
        else:
            st.session_state["kaggle-submission"] = (model, submission.submission_bytes(labels), len(labels))
    sub = st.session_state.get("kaggle-submission")
    if sub:
        st.download_button(f"Download submission.csv ({sub[2]:,} rows, {sub[0]})", sub[1], file_name="submission.csv",
                           mime="text/csv", icon=":material/download:")
        st.caption("Or from the command line: `python -m core submit --model NAME --csv test.csv --out submission.csv`.")


# ---------------------------------------------------------------- the page
st.title(":material/dataset: Datasets")
statuses = {n: datasets.file_status(n) for n in datasets.DATASETS}
follow_current_dataset("datasets-name", list(statuses))
name = st.selectbox("Dataset", list(statuses), key="datasets-name",
                    format_func=lambda n: f"{statuses[n]['title']}  ·  {n}  ({BADGE.get(statuses[n]['state'], '')})")
status = statuses[name]
st.caption(f"**{status['state'].capitalize()}**: {status['how']}.")

if name == "kaggle-digit-recognizer":
    with st.expander("Your Kaggle files", expanded=not status["usable"], icon=":material/upload:"):
        kaggle_files()
    status = datasets.file_status(name)  # after an upload

try:
    ds = dataset(name)
except HWLabError as exc:
    missing = st.empty()  # calm until something was tried: a download's failure replaces it with an error
    (missing.info if datasets.can_download(name) else missing.warning)(str(exc), icon=":material/info:")
    if datasets.can_download(name):
        download_button(name, status, "Download", missing)
    st.stop()

if status["state"] in ("partial", "derived") and datasets.can_download(name):
    with st.expander("The official files", icon=":material/download:"):
        download_button(name, status, "Download the official files")

n_classes = len(ds.classes)
c = datasets.counts(ds)
m = st.columns(4)
m[0].metric("Train", f"{c['train']:,}")
m[1].metric("Validation", f"{c['validation']:,}")
m[2].metric("Test", f"{c['test']:,}")
m[3].metric("Classes", n_classes)
st.caption(f"Validation: the training pipeline holds out {datasets.VALIDATION_FRACTION:.0%} of the {len(ds.train):,} "
           f"training images by default (a setting of the Train page). Images are 28×28, white ink on black, upright; "
           f"drawings are prepared in the **{ds.style}** style for models trained on it.")

st.subheader("Class distribution")
counts = {"train": datasets.class_counts(ds.train, n_classes), "test": datasets.class_counts(ds.test, n_classes)}
st.plotly_chart(class_bars(ds.classes, counts), key=f"dist-{name}", config={"displayModeBar": False})
counts_table(ds.classes, counts, f"dist-{name}")

st.subheader("Samples")
st.session_state.setdefault(SEED_KEY, 0)
blocks = 1 if n_classes <= 10 else 2 if n_classes <= 26 else 3
left, mid, right = st.columns([1, 2, 1], vertical_alignment="bottom")
part = left.radio("From", ["train", "test"], horizontal=True, key="datasets-part")
per_class = mid.slider("Per class", 1, 20, 10 if n_classes <= 26 else 6, key=f"datasets-per-{blocks}")
if right.button("Draw a new set", icon=":material/casino:"):
    st.session_state[SEED_KEY] += 1
split = ds.train if part == "train" else ds.test
picks = datasets.sample_indices(split.y, n_classes, per_class, st.session_state[SEED_KEY])
st.image(sample_grid(split.x, picks, ds.classes, per_class, blocks),
         caption=f"{per_class} random {part} images of each of the {n_classes} classes",
         alt=f"A grid of {per_class} random {part} images of each class, a row a class: {', '.join(ds.classes)}",
         width="content" if blocks == 1 else "stretch")

st.subheader("Where it comes from")
st.markdown(ds.provenance[0].upper() + ds.provenance[1:] + ".")
for note in ds.notes:
    st.markdown(f"- {note}")
with st.expander("Files", icon=":material/folder:"):
    for f in status["present"]:
        st.markdown(f":material/check_circle: `{f}`")
    for f in status["missing"]:
        st.markdown(f":material/radio_button_unchecked: `{f}` (missing)")
    st.caption(f"Data folder: `{status['data_dir']}` (HWLAB_DATA_DIR). Source: {status['source']}")

if name == "kaggle-digit-recognizer":
    kaggle_submission()
