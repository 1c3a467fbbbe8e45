"""A class at work: the class's drawings in a database (store), the teacher's lock (teacher), send limits
(limits), the wall's figures (wall), fine-tuning on the class's drawings (finetune; the dataset itself is
core/datasets/class_drawings.py), zip export and import (transfer) and the `python -m core class ...` commands (cli). No Streamlit here."""
