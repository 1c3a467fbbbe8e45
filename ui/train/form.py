"""The Train page's settings form, built from the settings' one declaration (core.train_settings): one
widget per setting, in the group it names (main, augment, data, more), with its label, range, choices
and help. The values a form starts from (a preset, or the architecture's suggestions for the dataset's
size) are filled in by `fill`; Enter in a field never starts a training (only the Train button)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import streamlit as st

from core import datasets
from core.datasets import drawn
from core.model import zoo
from core.training import estimate as train_estimate
from core.errors import BadSettings, HWLabError
from core.training.cpu_share import train_threads
from core.training.settings import (AUGMENTATIONS, DEFAULTS, OPTIONS, PRESET_DATASETS, PRESET_TITLES, PRESETS, Option,
                                 suggested, with_preset)
from ui.state import follow_current_dataset
from ui.train import WIDGET_PREFIX

K = WIDGET_PREFIX  # widget keys: train_<setting>, train_aug_<name>
AUG_FORM = {"rotation": (45.0, 1.0, "Rotation (± degrees)"), "shift": (0.3, 0.01, "Shift (± fraction)"),
            "zoom": (0.3, 0.01, "Zoom (± fraction)"), "stroke": (1.0, 0.05, "Stroke width (± amount)")}
NO_START = "—"  # init_from: from scratch


def fill(arch: str, n_train: Optional[int], preset: Optional[str] = None) -> None:
    """Put the form's starting values in the session: the defaults, under the architecture's suggestions for
    a dataset of n_train training images, under the preset's settings."""
    values = {**{k: v for k, v in vars(DEFAULTS).items() if OPTIONS[k].group}, **suggested(arch, n_train),
              **{k: v for k, v in with_preset(preset, {}).items() if k != "arch"}}
    aug = values.pop("augment") or {}
    for name in AUG_FORM:
        st.session_state[K + f"aug_{name}"] = float(aug.get(name, 0.0))
    for k, v in values.items():
        if k in ("limit",):
            v = v or 0
        elif k == "init_from":
            v = v or NO_START
        elif k == "pen_sources":
            v = [s for s in (v or "").split(",") if s]
        elif k in ("name", "title"):
            v = v or ""
        st.session_state[K + k] = v


def _widget(where, name: str, o: Option, init_choices: list[str], placeholders: dict):
    key = K + name
    if name == "pen_sources":
        return where.multiselect(o.label, list(drawn.SOURCES), key=key, help=o.help)
    if name == "init_from":
        return where.selectbox(o.label, [NO_START] + init_choices, key=key, help=o.help)
    if o.kind == "bool":
        return where.checkbox(o.label, key=key, help=o.help or None)
    if o.kind == "choice":
        labels = dict(zip(o.choices, o.labels or o.choices))
        return where.selectbox(o.label, list(o.choices), key=key, format_func=labels.get, help=o.help or None)
    if o.kind == "text":
        return where.text_input(o.label, key=key, help=o.help or None, placeholder=placeholders.get(name))
    if o.kind == "int":
        lo = 0 if name == "limit" else int(o.lo)  # limit: 0 = all the images
        label = o.label + (" (0 = all)" if name == "limit" else "")
        return where.number_input(label, lo, int(o.hi) if o.hi is not None else None, key=key,
                                  step=int(o.step or 1), help=o.help or None)
    lo = (o.step or 0.0) if o.lo_open else float(o.lo)  # an open bound: the smallest step above it
    hi = float(o.hi) - (o.step or 0.0) if o.hi_open else float(o.hi)
    return where.number_input(o.label, lo, hi, key=key, step=o.step, help=o.help or None,
                              format="%.5f" if (o.step or 1) < 0.001 else "%.3f")


def settings_form(dataset: str, arch: str, init_choices: list[str], placeholders: dict) -> Optional[dict]:
    """Draws the form; the settings dict when the Train button was pressed, else None."""
    values: dict = {}
    groups: dict[str, list[str]] = {}
    for name, o in OPTIONS.items():
        if o.group:
            groups.setdefault(o.group, []).append(name)
    with st.form("train_form", border=True, enter_to_submit=False):
        for i in range(0, len(groups["main"]), 4):
            cols = st.columns(4)
            for col, name in zip(cols, groups["main"][i:i + 4]):
                values[name] = _widget(col, name, OPTIONS[name], init_choices, placeholders)
        st.markdown("**Augmentation** (random per image, on the fly; never saved inside the model)")
        cols = st.columns(len(AUG_FORM))
        augment = {}
        for col, (aug, (hi, step, label)) in zip(cols, AUG_FORM.items()):
            augment[aug] = col.slider(label, 0.0, min(hi, AUGMENTATIONS[aug]), step=step, key=K + f"aug_{aug}")
        cols = st.columns(4)
        for col, name in zip(cols, groups["data"]):
            values[name] = _widget(col, name, OPTIONS[name], init_choices, placeholders)
        with st.expander("More: name, title, a quick try on fewer images, fine-tuning, Adam's betas, precision"):
            for i in range(0, len(groups["more"]), 3):
                cols = st.columns(3)
                for col, name in zip(cols, groups["more"][i:i + 3]):
                    values[name] = _widget(col, name, OPTIONS[name], init_choices, placeholders)
        submitted = st.form_submit_button("Train", type="primary", icon=":material/model_training:")
    if not submitted:
        return None
    values.update(dataset=dataset, arch=arch, augment={k: float(v) for k, v in augment.items() if v},
                  pen_sources=",".join(values["pen_sources"]) or DEFAULTS.pen_sources,
                  limit=int(values["limit"]) or None, init_from=None if values["init_from"] == NO_START
                  else values["init_from"])
    for k in ("name", "title"):
        values[k] = values[k].strip() or None
    for k, o in OPTIONS.items():  # the widgets give floats and ints as numpy-free Python numbers
        if o.kind == "int" and values.get(k) is not None:
            values[k] = int(values[k])
        elif o.kind == "float" and values.get(k) is not None:
            values[k] = float(values[k])
    return values



# ---------------------------------------------------------------- dataset, recipe, architecture
RECIPES = {**PRESET_TITLES, "suggested": "The architecture's suggested settings"}


@st.cache_data(show_spinner="Counting the dataset's training images…", max_entries=16)
def train_size(name: str, signature: tuple) -> Optional[int]:
    """How many training images the dataset has (None when its files are not here)."""
    try:
        return len(datasets.load(name, download=False).train) if datasets.on_disk(name) else None
    except HWLabError:
        return None


def _size(name: str) -> Optional[int]:
    status = datasets.file_status(name)
    return train_size(name, (status.get("usable"), tuple(status.get("present", ()))))


def _on_dataset() -> None:
    dataset = st.session_state[K + "dataset"]
    recipe = next((p for p, names in PRESET_DATASETS.items() if dataset in names), "suggested")
    st.session_state[K + "recipe"] = recipe
    _on_recipe()


def _on_recipe() -> None:
    recipe = st.session_state[K + "recipe"]
    if recipe in PRESETS:
        st.session_state[K + "arch"] = PRESETS[recipe]["arch"]
    fill(st.session_state[K + "arch"], _size(st.session_state[K + "dataset"]), recipe if recipe in PRESETS else None)


def _on_arch() -> None:
    recipe = st.session_state[K + "recipe"]
    if recipe in PRESETS and PRESETS[recipe]["arch"] != st.session_state[K + "arch"]:
        st.session_state[K + "recipe"] = "suggested"
    _on_recipe()


def recipe_pickers() -> tuple[str, str]:
    """Dataset, recipe (a preset, or the architecture's suggestions) and architecture; each fills the form.
    A preset is the default for the datasets it was made for (train_settings.PRESET_DATASETS)."""
    before = st.session_state.get(K + "dataset")
    follow_current_dataset(K + "dataset", list(datasets.DATASETS))  # starts from the sidebar's dataset
    st.session_state.setdefault(K + "dataset", "mnist")
    if K + "recipe" not in st.session_state or K + "arch" not in st.session_state:
        st.session_state.setdefault(K + "arch", DEFAULTS.arch)
        _on_dataset()
    elif st.session_state[K + "dataset"] != before:  # the sidebar's dataset changed: its defaults
        _on_dataset()
    top = st.columns(3)
    dataset = top[0].selectbox("Dataset", list(datasets.DATASETS), key=K + "dataset", on_change=_on_dataset,
                               format_func=lambda n: datasets.DATASETS[n].title)
    top[1].selectbox("Recipe", list(RECIPES), key=K + "recipe", on_change=_on_recipe, format_func=RECIPES.get)
    arch = top[2].selectbox("Architecture", list(zoo.ARCHS), key=K + "arch", on_change=_on_arch,
                            format_func=lambda n: zoo.ARCHS[n].title.split(":")[0])  # whole; the rest below
    try:
        status = datasets.file_status(dataset)
        top[0].caption(("" if status["usable"] else ":material/warning: ") + status["how"])
    except HWLabError as exc:
        top[0].caption(str(exc))
    top[2].caption(f"{zoo.ARCHS[arch].title} (`{arch}`, {zoo.ARCHS[arch].kind}). Its suggested settings, adapted "
                   f"to the dataset's size, fill the form when you pick it.")
    _time_it_takes(dataset, arch)
    return dataset, arch


def duration(seconds) -> str:
    if seconds is None:
        return "–"
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min" if seconds >= 3600 else (
        f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s")


def form_estimate(dataset: str, arch: str) -> Optional[dict]:
    """How long the form's training will take, from the rate measured on this machine (core/training/estimate.py):
    {"seconds", "images_per_s", "parts", "measured", "epochs", "used"}, or None where it is not known."""
    n = _size(dataset)
    if not n:
        return None
    epochs = int(st.session_state.get(K + "epochs") or 1)
    used = min(n, int(st.session_state.get(K + "limit") or n))
    used -= datasets.validation_count(used, float(st.session_state.get(K + "validation_fraction") or 0.0))
    est = train_estimate.estimate(arch, epochs * used, str(train_threads()),
                                  bool(st.session_state.get(K + "drawn_eval", True)))
    return {**est, "epochs": epochs, "used": used} if est else None


def _time_it_takes(dataset: str, arch: str) -> None:
    if not _size(dataset):
        return
    try:
        est = form_estimate(dataset, arch)
    except BadSettings as exc:  # HWLAB_TRAIN_THREADS out of range: said here, and again if Train is pressed
        st.warning(str(exc), icon=":material/warning:")
        return
    if est:
        epochs, used = est["epochs"], est["used"]
        when = datetime.fromtimestamp(est["measured"]).strftime("%Y-%m-%d %H:%M")
        rest = ", ".join(f"{duration(v)} to {train_estimate.PARTS[k]}" for k, v in est["parts"].items())
        st.info(f"About **{duration(est['seconds'])}** on this machine with the settings below: {epochs} × "
                f"{used:,} images at {est['images_per_s']:,.0f} images a second, plus {rest} (measured here, "
                f"{when}).", icon=":material/timer:")
        return
    c = st.columns([3, 1])
    c[0].caption(f"How long a training of {zoo.ARCHS[arch].title} takes has not been measured on this machine yet: "
                 f"any training of it measures it, or a short run now.")
    if c[1].button("Measure it now", icon=":material/timer:", key=K + "measure",
                   help=f"A real training run on {train_estimate.CALIBRATION_IMAGES:,} MNIST images, in the "
                        f"background priority a training job gets."):
        with st.spinner("Measuring a short training run…"):
            if train_estimate.calibrate(arch) is None:
                st.error("The measurement did not finish (is MNIST on this machine?). Any training of this "
                         "architecture measures it too.")
                return
        st.rerun()
