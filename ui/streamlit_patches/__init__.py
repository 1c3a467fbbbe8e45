"""Streamlit internals this app changes, one module each, because Streamlit has no setting for them
(checked against its 1.67 config options, docs and issue threads). Each module says why, what it buys
(`BUYS`, the figure its benchmark measured) and which environment variable turns it off (`SETTING`, set to 0);
tests/test_streamlit_patches.py fails loudly, naming the module, when a Streamlit upgrade moves what it patches.

One call, in plain sight: app.py calls `apply_all()` before its navigation (once a process, one log line a
patch).
"""
from __future__ import annotations

import logging
import os

from . import event_loop, fast_exit, keras_session, new_session_message, script_events

# In the order they are applied.
PATCHES = (keras_session, event_loop, new_session_message, script_events, fast_exit)
_log = logging.getLogger(__name__)
if not _log.handlers:  # the server's log shows these lines (Python's default level would hide INFO)
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    _log.addHandler(_handler)
    _log.setLevel(logging.INFO)
    _log.propagate = False
_applied: dict[str, bool] = {}  # module name -> applied (True) or off / moved (False), once a process


def enabled(patch) -> bool:
    """Whether the patch's environment variable leaves it on (anything but 0, false, off or no)."""
    return os.environ.get(patch.SETTING, "1").strip().lower() not in ("0", "false", "off", "no")


def apply_all() -> dict[str, bool]:
    """Apply every patch that its setting leaves on, once a process, logging one line each; returns
    {module: applied}. Cheap on every later run of app.py."""
    for patch in PATCHES:
        name = patch.__name__.rsplit(".", 1)[1]
        if name in _applied:
            continue
        if not enabled(patch):
            _applied[name] = False
            _log.info("streamlit patch %s: off (%s=0); it buys %s", name, patch.SETTING, patch.BUYS)
            continue
        _applied[name] = bool(patch.apply())  # a patch whose target moved logs its own warning
        if _applied[name]:
            _log.info("streamlit patch %s: applied; it buys %s (%s=0 turns it off)", name, patch.BUYS, patch.SETTING)
    return dict(_applied)

