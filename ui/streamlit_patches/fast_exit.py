"""End the `streamlit run` server at once when Streamlit has stopped (Ctrl+C, SIGTERM).

Python's own teardown after that, with TensorFlow and the models loaded, took 7-15 s of CPU here, for nothing:
every file the server writes is closed by then. Registered before Keras loads (app.py applies it before any
page runs), so it runs after every other exit hook. Never under pytest (AppTest runs app.py), where it would
hide the exit code. Not a patch of Streamlit's code: an exit hook of the server process.
"""
from __future__ import annotations

import atexit
import os
import sys

SETTING = "HWLAB_PATCH_FAST_EXIT"
BUYS = "a stop without Python's teardown (7-15 s of CPU with TensorFlow loaded)"


def apply() -> bool:
    """Register the hook in the server; False elsewhere (pytest, AppTest)."""
    from ui import long_lived

    if not long_lived.in_the_server():
        return False

    def leave():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)

    atexit.register(leave)
    return True
