"""Keep Keras's state between script runs.

Streamlit ends every script run, fragment reruns included, with keras.backend.clear_session() once Keras
is imported (`_clean_problem_modules` in streamlit/runtime/scriptrunner/script_runner.py; no config option
turns it off). That resets state the models cached for every session share (TensorFlow's kernel cache) and,
with its garbage collection, costs about 0.4 s of CPU a run here: with a class drawing at once, most of the
server's time. Our models are loaded once and shared, so there is nothing to clear. Streamlit's other
clean-up, closing matplotlib's figures, is kept.
"""
from __future__ import annotations

import logging
import sys

SETTING = "HWLAB_PATCH_KERAS_SESSION"  # =0 turns it off (ui/streamlit_patches/__init__.py)
BUYS = ("about 0.4 s of CPU a run (Keras's clear_session and its collection; with Streamlit's per-run GC off,"
        " 2.4 s -> 0.3 s of server CPU a drawing, commit 8c68abd)")
TARGET = "streamlit.runtime.scriptrunner.script_runner._clean_problem_modules"


def close_matplotlib_figures() -> None:
    """What Streamlit's clean-up does, less the Keras part."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")


def apply() -> bool:
    """Replace Streamlit's per-run clean-up; False (and a log line) when this Streamlit has none to replace."""
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        script_runner = None
    if script_runner is None or not hasattr(script_runner, "_clean_problem_modules"):
        logging.getLogger(__name__).warning("%s is gone: Keras's session is no longer cleared by Streamlit, or is "
                                            "cleared elsewhere; see %s", TARGET, __file__)
        return False
    script_runner._clean_problem_modules = close_matplotlib_figures
    return True
