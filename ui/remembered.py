"""What a browser remembers in its link: the nickname (and the seat that holds it), the class room and the
sidebar's model.

A server restart (or, behind `python -m core serve`, a process that died) loses every session's state, and
the browser reconnects with the address it shows. So these few values live in the link's query too
(`/?nickname=ann&room=K7QX2M&model=mnist-hwnet`): a new session recalls them from there, and each page puts
the session's values back (switching pages drops the query). A nickname only: no personal data."""
from __future__ import annotations

import streamlit as st

NICKNAME, ROOM, MODEL = "nickname", "room", "model"  # the link's parameters
SEAT = "seat"  # the browser's token that holds its nickname in a room (ui/rooms.py)
_HELD = "remembered_in_link"  # session state: {parameter: value} this session keeps in its link


def _held() -> dict[str, str]:
    return st.session_state.setdefault(_HELD, {})


def recall(param: str) -> str | None:
    """The session's value, else the link's (a new session after a reconnect), else None."""
    held = _held()
    if param not in held and st.query_params.get(param):
        held[param] = st.query_params[param]
    return held.get(param)


def remember(param: str, value: str | None) -> None:
    """Keep `value` in the link from now on (None or blank: take it out). Callbacks may call it."""
    value = value.strip() if isinstance(value, str) else ""
    held = _held()
    if value:
        held[param] = value
        if st.query_params.get(param) != value:
            st.query_params[param] = value
    else:
        held.pop(param, None)
        if param in st.query_params:
            del st.query_params[param]


def keep_in_link() -> None:
    """Each page's run: the remembered values back into the link (only those missing or changed)."""
    for param, value in _held().items():
        if st.query_params.get(param) != value:
            st.query_params[param] = value
