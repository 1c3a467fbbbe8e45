"""A deep link on a fresh server goes through app.py.

When the first request a fresh server gets names a page (a shared link to /evaluation), Streamlit runs
that file of pages/ by itself, its old pages-folder convention, without app.py: no sidebar, no navigation.
Its only switch is the class flag `PagesManager.uses_pages_directory`, which st.navigation clears for the
whole process on its first call (streamlit/commands/navigation.py); there is no config option, and the
design keeps the folder named pages/. Here the flag is cleared the same way and the run starts again,
through app.py, on the same page.
"""
from __future__ import annotations

import streamlit as st

SESSION_KEY = "_left_pages_folder"


def leave_pages_folder_convention() -> None:
    """Call first thing in every page."""
    from streamlit.runtime.pages_manager import PagesManager

    # Once a session at most: AppTest turns the convention back on before every run it starts, and a rerun
    # there would drop the click that started the run.
    if PagesManager.uses_pages_directory and not st.session_state.get(SESSION_KEY):
        st.session_state[SESSION_KEY] = True
        PagesManager.uses_pages_directory = False
        st.rerun()
