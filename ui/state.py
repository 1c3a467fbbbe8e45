"""Cached resources (loaded once per server process, shared by every session) and the sidebar picker."""
from __future__ import annotations

import os
import sys

import streamlit as st

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from core import config, datasets, registry  # noqa: E402
from core.errors import HWLabError  # noqa: E402
from ui import long_lived  # noqa: E402
from ui.streamlit_patches import event_loop, keras_session, new_session_message, pages_folder, script_events  # noqa: E402

MODEL_KEY = "model_name"
DATASET_KEY = "picker_dataset"  # the current dataset: the sidebar's choice, the one pages start from


keras_session.apply()  # Streamlit would clear Keras's session after every run (see that module)
event_loop.apply()  # the server's loop would wait for the GIL on every message and every rerun (see that module)
new_session_message.apply()  # every run would rebuild the theme from the config on the server's loop (ditto)
script_events.apply()  # each message of a run would wake the loop, and the run wait for the GIL again (ditto)


def _exit_without_teardown() -> None:
    """In the `streamlit run` server only: once Streamlit has stopped (Ctrl+C, SIGTERM), end the process at once.
    Python's own teardown after that, with TensorFlow and the models loaded, took 7-15 s of CPU here, for nothing:
    every file the server writes is closed by then. Registered before Keras loads, so it runs after every other
    exit hook. Never under pytest (AppTest imports this module), where it would hide the exit code."""
    if not long_lived.in_the_server():
        return
    import atexit

    def leave():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    atexit.register(leave)


_exit_without_teardown()


def page_frame() -> None:
    """First call of every page: a deep link on a fresh server runs through app.py (see pages_folder)."""
    pages_folder.leave_pages_folder_convention()


@st.cache_data(ttl=3, show_spinner=False)
def _bundles(models_dir: str) -> list[registry.Bundle]:
    return registry.list_bundles()


def bundles() -> list[registry.Bundle]:
    """Every bundle folder with its card (cheap: no model is loaded). Short TTL so new models appear;
    keyed by the models folder so a changed HWLAB_MODELS_DIR is seen at once."""
    return _bundles(str(config.models_dir()))


bundles.clear = _bundles.clear  # after a training job saves a bundle: list the folder afresh


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _predictor(name: str, mtime: float) -> registry.Predictor:
    loaded = registry.Predictor(name)
    long_lived.settle()  # the model and TensorFlow leave Python's full collections (ui/long_lived.py)
    return loaded


def predictor(name: str) -> registry.Predictor:
    """The loaded model, keyed by name and file time so a replaced bundle is reloaded."""
    b = registry.inspect(name)
    return _predictor(name, b.mtime)


@st.cache_resource(show_spinner="Loading the dataset…", max_entries=3)
def _dataset(name: str, signature: tuple) -> datasets.Dataset:
    ds = datasets.load(name, download=False)
    for s in (ds.train, ds.test):
        s.x.setflags(write=False)
        s.y.setflags(write=False)
    return ds


def dataset(name: str) -> datasets.Dataset:
    """The dataset read from disk (never downloaded here), one copy shared read-only by every session and
    page, reloaded when its files change. Raises HWLabError (a sentence) when it cannot be read."""
    return _dataset(name, datasets.signature(name))


def dataset_on_disk(name: str) -> datasets.Dataset | None:
    """The dataset when its files are on disk and readable, else None (from the same cache)."""
    if not datasets.on_disk(name):
        return None
    try:
        return dataset(name)
    except (HWLabError, OSError, ValueError):
        return None


def model_label(b: registry.Bundle, same_title: bool = False) -> str:
    """The picker's line: the test accuracy first (always visible, and the list is sorted by it), then the short
    title; the bundle's name too where another bundle of the list has the same title."""
    if not b.ok:
        return f"⚠ {b.name} (unavailable)"
    acc = (b.card or {}).get("test_accuracy")
    label = f"{acc:.1%} · {b.title}" if isinstance(acc, (int, float)) else b.title
    return f"{label} ({b.name})" if same_title else label


def sidebar() -> None:
    """Dataset and model picker, shown on every page. Stores the chosen bundle name in session state."""
    all_bundles = bundles()
    usable = [b for b in all_bundles if b.ok]
    st.sidebar.header("Model")
    if not usable:
        st.sidebar.error("No usable model in the models folder. Train one on the Train page, or check "
                         "HWLAB_MODELS_DIR.")
    else:
        sets = sorted({b.card["dataset"] for b in usable}, key=lambda d: (d != "mnist", d))
        current = st.session_state.get(MODEL_KEY)
        cur_b = next((b for b in usable if b.name == current), None)
        if st.session_state.get(DATASET_KEY) not in sets:  # first run, or a dataset whose models are gone
            st.session_state[DATASET_KEY] = cur_b.card["dataset"] if cur_b else sets[0]
        # No default value here: pages set this key (a model picked on the Train page), and a widget given both
        # a default and a value through session state logs a warning with a stack trace.
        dataset = st.sidebar.selectbox("Dataset", sets, key=DATASET_KEY, format_func=dataset_title)
        choices = sorted([b for b in usable if b.card["dataset"] == dataset], key=registry.rank, reverse=True)
        names = [b.name for b in choices]
        if current not in names:
            st.session_state[MODEL_KEY] = names[0]
        titles = [b.title for b in choices]
        labels = {b.name: model_label(b, titles.count(b.title) > 1) for b in choices}
        st.sidebar.selectbox("Model", names, key=MODEL_KEY, format_func=labels.get)
        card = next(b.card for b in choices if b.name == st.session_state[MODEL_KEY])
        drawn = card.get("drawn_accuracy")
        st.sidebar.caption(f"Test accuracy {card.get('test_accuracy', 0):.2%}"
                           + (f" · drawn input {drawn:.1%}" if isinstance(drawn, (int, float)) else "")
                           + f" · {len(card['classes'])} classes")
    broken = [b for b in all_bundles if not b.ok]
    if broken:
        with st.sidebar.expander(f"{len(broken)} model(s) unavailable"):
            for b in broken:
                st.caption(f"**{b.name}**: {b.error}")


def dataset_title(name: str) -> str:
    from core import datasets
    return datasets.DATASETS[name].title if name in datasets.DATASETS else name


def current_dataset() -> str | None:
    return st.session_state.get(DATASET_KEY)


def follow_current_dataset(key: str, options: list[str]) -> None:
    """A page's own dataset picker (session state `key`) starts from the sidebar's dataset, and follows it each
    time the sidebar's choice changes; in between, the page's picker keeps what the user chose there."""
    seen_key = f"_{key}_followed"
    current = current_dataset()
    if current in options and (key not in st.session_state or st.session_state.get(seen_key) != current):
        st.session_state[key] = current
    st.session_state[seen_key] = current


def current_model_name() -> str | None:
    return st.session_state.get(MODEL_KEY)


def current_predictor() -> registry.Predictor | None:
    """The picked model, loaded; shows a sentence (not a traceback) when it cannot be loaded."""
    name = current_model_name()
    if not name:
        return None
    try:
        return predictor(name)
    except HWLabError as exc:
        st.error(str(exc))
        return None
