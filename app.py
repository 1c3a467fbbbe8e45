"""Handwriting Lab: the Streamlit patches, page config, navigation over the pages, and the shared sidebar.
Nothing else."""
from pathlib import Path

import streamlit as st

from ui.a11y import page_setup as accessibility_setup
from ui.narrow_screens import close_sidebar_on_narrow_screens
from ui.recover import reload_when_parts_failed
from ui.state import sidebar
from ui.streamlit_patches import apply_all
from ui.teacher_lock import sidebar_field as teacher_password_field

apply_all()  # each patch of Streamlit's internals, once a process (ui/streamlit_patches/: what each buys, its off switch)
ICON = str(Path(__file__).resolve().parent / "assets" / "icon.png")
st.set_page_config(page_title="Handwriting Lab", page_icon=ICON, layout="wide")  # a file: offline, no font server
nav = st.navigation([
    st.Page("app_pages/draw.py", title="Draw", icon=":material/draw:", default=True),
    st.Page("app_pages/models.py", title="Models", icon=":material/leaderboard:"),
    st.Page("app_pages/evaluation.py", title="Evaluation", icon=":material/troubleshoot:"),
    st.Page("app_pages/datasets.py", title="Datasets", icon=":material/dataset:"),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("app_pages/class.py", title="Class", icon=":material/groups:", url_path="class"),
])
sidebar()
teacher_password_field()
close_sidebar_on_narrow_screens()
reload_when_parts_failed()  # a page that opened during a server restart reloads once it is back (ui/recover.py)
accessibility_setup()  # focus rings, reduced motion, the canvas's name, focus kept across reruns (ui/a11y.py)
nav.run()
