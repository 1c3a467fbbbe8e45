"""Models page: every bundle's results in one sortable table, and training curves (accuracy, loss,
learning rate per epoch) for one model or several overlaid."""
import pandas as pd
import streamlit as st

from core import registry
from ui.chart_text import curves_caption
from ui.charts import training_curves
from ui.export_view import use_elsewhere
from ui.state import bundles, current_model_name, page_frame

page_frame()

st.title(":material/leaderboard: Models")
usable = [b for b in bundles() if b.ok]
if not usable:
    st.info("There is no usable model in the models folder yet: train one, or check HWLAB_MODELS_DIR.")
    st.stop()


def _pct(v):
    return float(v) * 100 if isinstance(v, (int, float)) else None


# ---------------------------------------------------------------- results table
st.subheader("Results of every model")
rows = []
for b in usable:
    c = b.card or {}
    arch, hw = c.get("architecture") or {}, c.get("hardware") or {}
    rows.append({  # name, dataset and accuracies first: on a laptop they show without scrolling sideways
        "model": b.name, "dataset": c.get("dataset"), "test accuracy": _pct(c.get("test_accuracy")),
        "drawn-input accuracy": _pct(c.get("drawn_accuracy")), "train accuracy": _pct(c.get("train_accuracy")),
        "title": b.title, "architecture": arch.get("title") or arch.get("name"), "kind": arch.get("kind"),
        "parameters": arch.get("parameters"), "epochs": (c.get("training") or {}).get("epochs_run"),
        "training time (s)": c.get("training_time_s"),
        "hardware": hw.get("name") + (f" ({hw['backend']})" if hw.get("backend") else "") if hw.get("name") else None,
    })
# Within a dataset, from the weakest model to the best: the table tells the story from logistic regression to
# our own CNN.
table = pd.DataFrame(rows).sort_values(["dataset", "test accuracy"], ascending=[True, True])
ROW_PX, HEADER_PX = 35, 38  # st.dataframe's default row height; every row shows, no scrolling inside the table
st.dataframe(table, hide_index=True, key="results_table", height=HEADER_PX + ROW_PX * len(table) + 2, column_config={
    "model": st.column_config.TextColumn(pinned=True),
    "parameters": st.column_config.NumberColumn(format="localized"),
    "train accuracy": st.column_config.NumberColumn(format="%.2f%%"),
    "test accuracy": st.column_config.NumberColumn(format="%.2f%%", help="On the dataset's held-out test set"),
    "drawn-input accuracy": st.column_config.NumberColumn(
        format="%.1f%%", help="On real pen drawings rendered like the canvas, by writers the model never saw"),
    "training time (s)": st.column_config.NumberColumn(format="%.0f"),
})
st.caption("Click a column header to sort. Accuracies in percent; training time is the time of the fit itself.")
use_elsewhere(usable, current_model_name())  # a zip per format: Keras, ONNX, LiteRT

# ---------------------------------------------------------------- training curves
st.subheader("Training curves")
names = [b.name for b in usable]
titles = {b.name: b.title for b in usable}
current = current_model_name()
picked = st.multiselect("Models to compare", names, default=[current] if current in names else names[:1],
                        format_func=lambda n: f"{titles[n]} ({n})", key="curves_models")
if not picked:
    st.info("Choose one model or more to see their curves.")
    st.stop()

histories = {n: registry.read_history(n) for n in picked}
no_val = [n for n, h in histories.items() if h and not any(r.get("val_accuracy") is not None for r in h)]
left, right = st.columns(2)
for col, metric in zip((left, right), ("accuracy", "loss")):
    col.plotly_chart(training_curves(histories, metric), key=f"curve_{metric}")
    curves_caption(col, histories, metric)  # the last values, for those who cannot see the curves
left, right = st.columns(2)
left.plotly_chart(training_curves(histories, "learning_rate"), key="curve_lr")
with right:
    empty = [n for n in picked if not histories[n]]
    if empty:
        st.warning(f"No history.csv for {', '.join(empty)}.")
    if no_val:
        st.caption(f"No validation curve for {', '.join(no_val)}: trained without a held-out validation split "
                   "(validation fraction 0); its test accuracy is in the table above.")
    st.caption("Solid lines: training (with augmentation where the model used it, so it can sit below validation); "
               "dashed: validation. The learning rate is on a log scale.")
