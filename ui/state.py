"""Cached resources (loaded once per server process, shared by every session) and the sidebar picker."""
from __future__ import annotations

import os
import sys

import streamlit as st

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from core import config, registry  # noqa: E402
from core.errors import HWLabError  # noqa: E402

MODEL_KEY = "model_name"
DATASET_KEY = "picker_dataset"  # the current dataset: the sidebar's choice, the one pages start from


def _keep_keras_state_between_runs() -> None:
    """Streamlit ends every script run, fragment reruns included, with keras.backend.clear_session() once Keras
    is imported (_clean_problem_modules in streamlit/runtime/scriptrunner/script_runner.py). That resets state the
    models cached for every session share (TensorFlow's kernel cache) and, with its garbage collection, costs about
    0.4 s of CPU a run here: with a class drawing at once, most of the server's time. Our models are loaded once
    and shared, so there is nothing to clear. Streamlit's matplotlib clean-up is kept."""
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return
    if not hasattr(script_runner, "_clean_problem_modules"):
        return

    def close_matplotlib_figures() -> None:
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")

    script_runner._clean_problem_modules = close_matplotlib_figures


_keep_keras_state_between_runs()


def _exit_without_teardown() -> None:
    """In the `streamlit run` server only: once Streamlit has stopped (Ctrl+C, SIGTERM), end the process at once.
    Python's own teardown after that, with TensorFlow and the models loaded, took 7-15 s of CPU here, for nothing:
    every file the server writes is closed by then. Registered before Keras loads, so it runs after every other
    exit hook. Never under pytest (AppTest imports this module), where it would hide the exit code."""
    if "streamlit.web.bootstrap" not in sys.modules:  # what `streamlit run` starts with; AppTest does not load it
        return
    import atexit

    def leave():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    atexit.register(leave)


_exit_without_teardown()


def page_frame() -> None:
    """First call of every page. When the first request a fresh server gets names a page (a shared link to
    /evaluation), Streamlit runs that file of pages/ by itself, its old pages-folder convention, without
    app.py: no sidebar, no navigation. st.navigation turns the convention off for the whole process; here it
    is turned off the same way and the run starts again, through app.py, on the same page."""
    from streamlit.runtime.pages_manager import PagesManager

    # Once a session at most: AppTest turns the convention back on before every run it starts, and a rerun
    # there would drop the click that started the run.
    if PagesManager.uses_pages_directory and not st.session_state.get("_left_pages_folder"):
        st.session_state["_left_pages_folder"] = True
        PagesManager.uses_pages_directory = False
        st.rerun()


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
    return registry.Predictor(name)


def predictor(name: str) -> registry.Predictor:
    """The loaded model, keyed by name and file time so a replaced bundle is reloaded."""
    b = registry.inspect(name)
    return _predictor(name, b.mtime)


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
