"""Keep the server's long-lived objects out of Python's full garbage collections.

TensorFlow, Keras and a loaded model are millions of Python objects that live as long as the server. Python's
collector walks all of them in each full (generation 2) collection, and each stops every thread: with 40
students drawing (`benchmarks/concurrent_users.py --class --sessions 40`, timed with gc.callbacks) they took
0.6-0.7 s each, the slowest answers of the students and of the wall; with the freeze, 0.10-0.13 s.
After a model loads, one collection clears the garbage and `gc.freeze()` moves what is left to the permanent
generation, which later collections skip; objects made afterwards are collected as before.
"""
from __future__ import annotations

import gc
import sys


def in_the_server() -> bool:
    """True in the `streamlit run` server; False under pytest and AppTest (which never load its bootstrap)."""
    return "streamlit.web.bootstrap" in sys.modules


def settle() -> None:
    """After a model load in the server: collect once, then freeze what survives."""
    if in_the_server():
        gc.collect()
        gc.freeze()
