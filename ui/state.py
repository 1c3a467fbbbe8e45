"""Cached resources (loaded once per server process, shared by every session) and the sidebar picker."""
from __future__ import annotations

import os

import streamlit as st

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from core import config, datasets, registry  # noqa: E402
from core.classroom.rooms import of_room  # noqa: E402
from core.errors import HWLabError  # noqa: E402
from ui import long_lived, remembered  # noqa: E402

MODEL_KEY = "model_name"
DATASET_KEY = "picker_dataset"  # the current dataset: the sidebar's choice, the one pages start from


def page_frame() -> None:
    """First call of every page: what the browser remembers (nickname, room, model) goes back into the page's
    link, so a reconnect after a server restart starts from it (ui/remembered.py)."""
    remembered.keep_in_link()


@st.cache_data(ttl=3, show_spinner=False)
def _bundles(models_dir: str) -> list[registry.Bundle]:
    return registry.list_bundles()


def bundles() -> list[registry.Bundle]:
    """Every bundle folder with its card (cheap: no model is loaded). Short TTL so new models appear;
    keyed by the models folder so a changed HWLAB_MODELS_DIR is seen at once."""
    return _bundles(str(config.models_dir()))


bundles.clear = _bundles.clear  # after a training job saves a bundle: list the folder afresh


# Models kept loaded by the server process: every bundle of the largest line-up (12 of MNIST are shipped), and
# the models other pages pick, fit, so no session's line-up evicts what another session (or itself) reads next.
MODELS_HELD = 24


@st.cache_resource(show_spinner=False, max_entries=MODELS_HELD)
def _predictor(name: str, mtime: float) -> registry.Predictor:
    loaded = registry.Predictor(name)
    long_lived.settle()  # the model and TensorFlow leave Python's full collections (ui/long_lived.py)
    return loaded


def predictor(name: str, spinner: str | None = "Loading the model…") -> registry.Predictor:
    """The loaded model, keyed by name and file time so a replaced bundle is reloaded; loaded once per server
    process, for every session. While a load takes longer than half a second, `spinner` says so (a cached model
    shows nothing); None for a caller that shows its own progress (the line-up's bar)."""
    b = registry.inspect(name)
    if spinner is None:
        return _predictor(name, b.mtime)
    with st.spinner(spinner):
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
    """The dataset when its files are on disk and readable, else None (datasets.load_offline, from the same cache)."""
    return datasets.load_offline(name, read=dataset)


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
        room = _room_code()
        room_models = [b for b in usable if of_room(b.card, room)]  # the room's fine-tuned models come first
        ours = {b.card["dataset"] for b in room_models}
        sets = sorted({b.card["dataset"] for b in usable}, key=lambda d: (d not in ours, d != registry.DEFAULT_DATASET, d))
        if not st.session_state.get(MODEL_KEY) and remembered.recall(remembered.MODEL):
            st.session_state[MODEL_KEY] = remembered.recall(remembered.MODEL)  # a new session: the link's model
        current = st.session_state.get(MODEL_KEY)
        cur_b = next((b for b in usable if b.name == current), None)
        if st.session_state.get(DATASET_KEY) not in sets:  # first run, or a dataset whose models are gone
            start = cur_b or (max(room_models, key=registry.rank) if room_models else
                              next(b for b in usable if b.name == registry.default_model(all_bundles)))
            st.session_state[DATASET_KEY] = start.card["dataset"]
        # No default value here: pages set this key (a model picked on the Train page), and a widget given both
        # a default and a value through session state logs a warning with a stack trace.
        dataset = st.sidebar.selectbox("Dataset", sets, key=DATASET_KEY, format_func=dataset_title)
        choices = sorted([b for b in usable if b.card["dataset"] == dataset], reverse=True,
                         key=lambda b: (of_room(b.card, room), registry.rank(b)))  # the room's first
        names = [b.name for b in choices]
        if current not in names:  # the room's best model where it has one here, else the dataset's default
            st.session_state[MODEL_KEY] = (choices[0].name if choices and of_room(choices[0].card, room)
                                           else registry.default_for(dataset, choices))
        titles = [b.title for b in choices]
        labels = {b.name: model_label(b, titles.count(b.title) > 1) for b in choices}
        st.sidebar.selectbox("Model", names, key=MODEL_KEY, format_func=labels.get)
        remembered.remember(remembered.MODEL, st.session_state[MODEL_KEY])
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


def _room_code() -> str | None:
    """The join code of the room this session is in (ui/rooms.py), for the picker's order: the link's, which the
    page checks after the sidebar has run, else the one kept in the session."""
    from ui.rooms import QUERY, ROOM

    room = st.session_state.get(ROOM)
    return str(st.query_params.get(QUERY) or "").upper() or (room.code if room is not None else None)


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
