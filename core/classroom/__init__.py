"""A class at work: the class's drawings in a database (store), the teacher's lock (teacher), send limits
(limits), the wall's figures (wall), the class-drawings dataset (dataset), fine-tuning on it (finetune),
zip export and import (transfer) and the `python -m core class ...` commands (cli). No Streamlit here."""
