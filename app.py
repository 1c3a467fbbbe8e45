"""Handwriting Lab: page config, navigation over the pages, and the shared sidebar. Nothing else."""
import streamlit as st

from ui.narrow_screens import close_sidebar_on_narrow_screens
from ui.state import sidebar
from ui.teacher_lock import sidebar_field as teacher_password_field

st.set_page_config(page_title="Handwriting Lab", page_icon=":material/draw:", layout="wide")
nav = st.navigation([
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:", default=True),
    st.Page("pages/models.py", title="Models", icon=":material/leaderboard:"),
    st.Page("pages/evaluation.py", title="Evaluation", icon=":material/troubleshoot:"),
    st.Page("pages/datasets.py", title="Datasets", icon=":material/dataset:"),
    st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("pages/class.py", title="Class", icon=":material/groups:", url_path="class"),
])
sidebar()
teacher_password_field()
close_sidebar_on_narrow_screens()
nav.run()
