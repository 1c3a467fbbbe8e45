"""Handwriting Lab: page config, navigation over the pages, and the shared sidebar. Nothing else."""
import streamlit as st

from ui.state import sidebar
from ui.teacher_lock import sidebar_field as teacher_password_field

st.set_page_config(page_title="Handwriting Lab", page_icon="✍️", layout="wide")
nav = st.navigation([
    st.Page("pages/draw.py", title="Draw", icon="✏️", default=True),
    st.Page("pages/models.py", title="Models", icon="📈"),
    st.Page("pages/evaluation.py", title="Evaluation", icon="🔍"),
    st.Page("pages/datasets.py", title="Datasets", icon="🗂️"),
    st.Page("pages/train.py", title="Train", icon="🏋️"),
    st.Page("pages/class.py", title="Class", icon=":material/groups:", url_path="class"),
])
sidebar()
teacher_password_field()
nav.run()
