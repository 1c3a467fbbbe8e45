"""Build the theme and client settings of Streamlit's `new_session` message once, not on every run.

Streamlit starts every run, fragment reruns included, with a `new_session` message. On the server's event loop
it fills the theme (six sections) and the client settings from the config, option by option. Under
`benchmarks/concurrent_users.py --class` that was about a third of the loop's Python time (py-spy `--gil`), and
the loop carries every session's messages. These settings change only when the config is parsed again (this app
does not watch its files, see .streamlit/config.toml), so they are built once per parse and merged into each
message.
"""
from __future__ import annotations

import logging

SETTING = "HWLAB_PATCH_NEW_SESSION_MESSAGE"  # =0 turns it off (ui/streamlit_patches/__init__.py)
BUYS = ("about a third of the event loop's Python time under --class (py-spy --gil), spent rebuilding the "
        "theme every run")
TARGETS = ("streamlit.runtime.app_session._populate_theme_msg", "streamlit.runtime.app_session._populate_config_msg")
_log = logging.getLogger(__name__)


def _memoized(build):
    """build(msg, *args) -> the same, filling msg from a message built once for (its type, args, the config)."""
    from streamlit import config

    built: dict = {}

    def populate(msg, *args) -> None:
        key = (type(msg), args, id(getattr(config, "_config_options", None)))  # a new parse is a new dict
        done = built.get(key)
        if done is None:
            done = type(msg)()
            build(done, *args)
            built[key] = done
        msg.MergeFrom(done)

    populate._hwlab = True
    populate.__wrapped__ = build
    return populate


def apply() -> bool:
    """Patch both; False (and a log line) when this Streamlit lacks either."""
    try:
        from streamlit.runtime import app_session
    except ImportError:
        app_session = None
    if app_session is None or not all(hasattr(app_session, t.rsplit(".", 1)[1]) for t in TARGETS):
        _log.warning("%s moved: every run builds its settings again; see %s", " or ".join(TARGETS), __file__)
        return False
    for target in TARGETS:
        name = target.rsplit(".", 1)[1]
        if not getattr(getattr(app_session, name), "_hwlab", False):
            setattr(app_session, name, _memoized(getattr(app_session, name)))
    return True
