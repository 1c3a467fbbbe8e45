"""The Streamlit internals ui/streamlit_patches changes are still where, and what, those modules say. A
Streamlit upgrade that moves them fails here, naming the patch, rather than silently bringing back
Keras's per-run clear_session or the pages-folder deep link that skips app.py."""
import inspect
import sys

from streamlit.testing.v1 import AppTest


def test_keras_session_patch_target_is_still_streamlits_per_run_clean_up():
    from streamlit.runtime.scriptrunner import script_runner

    from ui.streamlit_patches import keras_session

    src = inspect.getsource(script_runner)
    body = src[src.index("def _clean_problem_modules"):]
    body = body[:body.index("\ndef ", 1)]
    assert "clear_session()" in body, f"{keras_session.TARGET} no longer clears Keras: drop {keras_session.__file__}"
    # The run loop looks the function up by its module-global name, so replacing it takes effect.
    assert "_log_if_error(_clean_problem_modules)" in src, f"Streamlit calls its clean-up another way now: " \
                                                           f"{keras_session.__file__} no longer takes effect"
    assert keras_session.apply()
    assert script_runner._clean_problem_modules is keras_session.close_matplotlib_figures


def test_keras_session_patch_keeps_closing_matplotlib_figures(monkeypatch):
    """matplotlib is not a dependency: a stand-in pyplot records what the clean-up closes."""
    import types

    from ui.streamlit_patches import keras_session

    closed = []
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", types.SimpleNamespace(close=closed.append))
    keras_session.close_matplotlib_figures()
    assert closed == ["all"]


def test_pages_folder_flag_is_still_the_switch_st_navigation_turns_off():
    from streamlit.commands import navigation
    from streamlit.runtime import pages_manager

    from ui.streamlit_patches import pages_folder

    assert "uses_pages_directory" in vars(pages_manager.PagesManager), \
        f"PagesManager.uses_pages_directory is gone: revisit {pages_folder.__file__}"
    assert "PagesManager.uses_pages_directory = False" in inspect.getsource(navigation), \
        f"st.navigation no longer turns the pages-folder convention off that way: revisit {pages_folder.__file__}"


def _script():
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    from ui.streamlit_patches.pages_folder import leave_pages_folder_convention

    st.session_state["runs"] = st.session_state.get("runs", 0) + 1
    if st.session_state["runs"] == 1:
        PagesManager.uses_pages_directory = True  # as on a fresh server whose first request names a page
    leave_pages_folder_convention()
    st.write(f"runs={st.session_state['runs']} pages-folder={PagesManager.uses_pages_directory}")


def test_a_page_run_under_the_pages_folder_convention_starts_again_without_it():
    at = AppTest.from_function(_script).run()
    assert not at.exception
    assert [m.value for m in at.markdown] == ["runs=2 pages-folder=False"]
