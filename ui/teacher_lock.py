"""The teacher's lock in the app: the sidebar's sign-in ("Sign in as a teacher", the teacher's name, "Sign out")
and "Teacher password" field, and the gate every page puts around what only the teacher may do (training,
datasets, the class session, and the heavy work: evaluating afresh, predicting test.csv, Partition SHAP).
The rules themselves (who is a teacher, what a network server without one locks) are core.classroom.teacher's;
this module only reads the session (st.user, st.context, st.secrets) and shows the result."""
from __future__ import annotations

import math
from typing import Mapping, Optional

import streamlit as st
from streamlit.errors import StreamlitAuthError

from core.classroom import teacher

UNLOCKED = "teacher_unlocked"
FIELD = "teacher_password_field"
_MESSAGE = "teacher_message"
_SIGN_IN_MESSAGE = "teacher_sign_in_message"


def _secrets() -> Mapping:
    try:
        st.secrets.get("auth")  # no secrets file at all: Streamlit raises rather than returning nothing
        return st.secrets
    except Exception:
        return {}


def password() -> Optional[str]:
    """The server's teacher password: HWLAB_TEACHER_PASSWORD, else teacher_password in Streamlit's secrets."""
    return teacher.configured(_secrets().get("teacher_password"))


def _providers() -> list[Optional[str]]:
    """The [auth] section's providers: [None] for one unnamed provider, else the [auth.NAME] tables' names."""
    auth = _secrets().get("auth")
    if not isinstance(auth, Mapping):
        return []
    if "client_id" in auth:
        return [None]
    return [name for name, value in auth.items() if isinstance(value, Mapping)]


def client_address() -> str:
    """This session's client address; X-Forwarded-For counts only from a loopback peer (our nginx)."""
    try:
        return teacher.client_address(st.context.ip_address, st.context.headers.get("X-Forwarded-For"))
    except Exception:  # outside a browser session (AppTest): a local one
        return "127.0.0.1"


def listen_address() -> str:
    """The address the server listens on (server.address; empty: every address)."""
    return st.get_option("server.address") or ""


def server() -> teacher.Server:
    exposed = not teacher.is_loopback(listen_address()) \
        or not teacher.is_loopback(client_address())
    return teacher.Server(password(), bool(_providers()), exposed, teacher.open_class())


def _signed_in_email() -> Optional[str]:
    try:
        return st.user.get("email") if st.user.is_logged_in else None
    except Exception:  # no [auth] section: st.user has no is_logged_in
        return None


def _signed_in_teacher() -> Optional[str]:
    email = _signed_in_email()
    emails, domains = teacher.secrets_lists(_secrets())
    verified = st.user.get("email_verified") if email else None
    return email.lower() if teacher.is_teacher_account(email, emails, domains, verified) else None


def identity() -> Optional[str]:
    """Who acts as the teacher in this session (the signed-in e-mail, "password", "open"), or None: a student."""
    return teacher.identity(server(), _signed_in_teacher(), bool(st.session_state.get(UNLOCKED)))


def is_teacher() -> bool:
    return identity() is not None


def _try_unlock() -> None:
    given = st.session_state.get(FIELD, "")
    st.session_state[FIELD] = ""  # the password never stays in the page's state
    pw = password()
    if not given or pw is None:
        return
    verdict = teacher.TRIES.check(client_address(), given, pw)
    if verdict.outcome == "ok":
        st.session_state[UNLOCKED] = True
        st.session_state[_MESSAGE] = None
    elif verdict.outcome == "wrong":
        st.session_state[_MESSAGE] = "That is not the teacher password."
    else:
        st.session_state[_MESSAGE] = None  # the countdown says it


def _lock() -> None:
    st.session_state[UNLOCKED] = False


def _countdown() -> None:
    """'Try again in N s', counting down each second; at 0 the whole page runs again and the field opens."""
    wait = teacher.TRIES.wait_s(client_address())
    if wait <= 0:
        st.rerun(scope="app")
    st.error(f"Too many wrong tries: try again in {math.ceil(wait)} s.", icon=":material/timer:")


def _login(provider: Optional[str]) -> None:
    try:
        st.login(provider)
    except StreamlitAuthError as exc:  # an [auth] section Streamlit cannot use: say so instead of failing
        st.session_state[_SIGN_IN_MESSAGE] = f"Sign-in is not set up right on this server: {exc}"


def _sign_in() -> None:
    email = _signed_in_email()
    if email:
        name = st.user.get("name") or email
        if _signed_in_teacher():
            st.caption(f":material/verified_user: Signed in as **{name}**, teacher.")
        else:
            st.warning(f"`{email}` is not a teacher here: you stay a student.", icon=":material/person:")
        st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="teacher_sign_out")
        return
    providers = _providers()
    for provider in providers:
        label = "Sign in as a teacher" + (f" ({provider})" if provider and len(providers) > 1 else "")
        st.button(label, icon=":material/login:", on_click=_login, args=(provider,),
                  key=f"teacher_sign_in_{provider or ''}")
    if st.session_state.get(_SIGN_IN_MESSAGE):
        st.error(st.session_state[_SIGN_IN_MESSAGE])


def _password_field() -> None:
    if st.session_state.get(UNLOCKED):
        st.caption(":material/lock_open: Teacher mode in this browser.")
        st.button("Lock", icon=":material/lock:", on_click=_lock, key="teacher_lock_button")
        return
    waiting = teacher.TRIES.wait_s(client_address()) > 0
    # No help tooltip: its button would also be labelled "Help for Teacher password".
    st.text_input("Teacher password", type="password", key=FIELD, on_change=_try_unlock, disabled=waiting,
                  placeholder="the teacher unlocks training here")
    if waiting:
        st.fragment(_countdown, run_every=1)()
    elif st.session_state.get(_MESSAGE):
        st.error(st.session_state[_MESSAGE])


def sidebar_field() -> None:
    """In the sidebar: sign-in and the password field where they are set, or what a network server without
    either does (locked, or opened on purpose with HWLAB_OPEN_CLASS=1)."""
    srv = server()
    with st.sidebar:
        if srv.locked_for_all:
            st.warning("Teacher actions are locked: this server is on the network without a teacher password. "
                       "Start it with `HWLAB_TEACHER_PASSWORD=...` (or `teacher_password` in "
                       "`.streamlit/secrets.toml`) to unlock them.", icon=":material/lock:")
        elif srv.open_on_network:
            st.warning("HWLAB_OPEN_CLASS=1: everyone on the network may train, delete drawings and manage "
                       "datasets. Set a teacher password to keep that for the teacher.", icon=":material/warning:")
        if srv.sign_in and not st.session_state.get(UNLOCKED):
            _sign_in()
        if srv.password is not None and not _signed_in_teacher():
            _password_field()


def gate(what: str) -> bool:
    """True for the teacher; for a student, a sentence saying who does `what` (e.g. 'starts training')."""
    if is_teacher():
        return True
    srv = server()
    if srv.locked_for_all:
        how = "this server is on the network without a teacher password, so it is locked (see the sidebar)"
    elif _signed_in_email():  # said here as well: on a phone the sidebar is closed
        how = f"`{_signed_in_email()}` is not a teacher here, so ask your teacher"
    else:
        ways = (["sign in as a teacher"] if srv.sign_in else []) + \
               (["unlock with the teacher password"] if srv.password is not None else [])
        how = f"ask your teacher, or {' or '.join(ways)} in the sidebar"
    st.info(f"The teacher {what}: {how}.", icon=":material/school:")
    return False
