"""Text alternatives for the charts, for readers who cannot see them (WCAG 1.1.1): the training curves' last
values as a sentence, a confusion matrix or per-class counts as a table on request. The Draw page's probability
bars carry their own description (ui/charts.probability_bars) and the live region says the answer
(ui/announce.py)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ui.charts import CURVE_TITLES


def _value(metric: str, v) -> str:
    if v is None:
        return "–"
    return f"{v:.1%}" if metric == "accuracy" else f"{v:.3g}"


def curves_text(histories: dict[str, list[dict]], metric: str) -> str:
    """'Accuracy at the last epoch (12): training 99.1%, validation 98.9%', one clause a model."""
    said = []
    for name, rows in histories.items():
        if not rows:
            continue
        last = rows[-1]
        parts = [f"training {_value(metric, last.get(metric))}"]
        if last.get(f"val_{metric}") is not None:
            parts.append(f"validation {_value(metric, last.get(f'val_{metric}'))}")
        who = f"{name}, " if len(histories) > 1 else ""
        said.append(f"{who}epoch {last.get('epoch', len(rows))}: " + ", ".join(parts))
    if not said:
        return ""
    return f"{CURVE_TITLES.get(metric, metric)} at the last epoch: " + "; ".join(said) + "."


def curves_caption(container, histories: dict[str, list[dict]], metric: str) -> None:
    said = curves_text(histories, metric)
    if said:
        container.caption(said)


def matrix_table(m: np.ndarray, classes: list[str], key: str, rows: str = "true", columns: str = "predicted") -> None:
    """The confusion matrix as a table, behind a switch (a screen reader reads it cell by cell)."""
    if st.toggle("Show the matrix as a table", key=f"{key}-as-table"):
        labels = [str(c) for c in classes]
        st.dataframe(pd.DataFrame(np.asarray(m), index=pd.Index(labels, name=f"{rows} \\ {columns}"), columns=labels))


def counts_table(classes: list[str], series: dict[str, np.ndarray], key: str) -> None:
    """Counts a class (a bar chart's content) as a table, behind a switch."""
    if st.toggle("Show the counts as a table", key=f"{key}-as-table"):
        st.dataframe(pd.DataFrame({name: np.asarray(v) for name, v in series.items()},
                                  index=pd.Index([str(c) for c in classes], name="class")))
