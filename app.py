"""Handwriting Lab: page config, navigation over the pages, and the shared sidebar. Nothing else."""
import streamlit as st

from ui.narrow_screens import close_sidebar_on_narrow_screens
from ui.state import sidebar

st.set_page_config(page_title="Handwriting Lab", page_icon="✍️", layout="wide")
nav = st.navigation([
    st.Page("pages/draw.py", title="Draw", icon="✏️", default=True),
    st.Page("pages/models.py", title="Models", icon="📈"),
    st.Page("pages/evaluation.py", title="Evaluation", icon="🔍"),
    st.Page("pages/datasets.py", title="Datasets", icon="🗂️"),
    st.Page("pages/train.py", title="Train", icon="🏋️"),
])
sidebar()
close_sidebar_on_narrow_screens()
nav.run()
