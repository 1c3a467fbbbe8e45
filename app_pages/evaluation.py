"""Evaluation page: the confusion matrix (click a cell to see its test images), the per-class report,
the most-confused pairs, and the misclassified explorer; any example opens its explanation (SHAP top 3
and activations). Everything comes from the evaluation stored in the bundle, so it works offline; with
the dataset on disk the model can be evaluated afresh."""
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core import datasets, registry
from core.model import evaluation
from core.errors import HWLabError
from ui.chart_text import matrix_table
from ui.charts import confusion_heatmap
from ui.insight.explain import explain_input
from core.model.pictures import pixels
from ui import teacher_lock
from ui.insight.more import show_insights
from ui.state import current_model_name, current_predictor, dataset_on_disk, page_frame

page_frame()

PAGE = 40  # examples a grid shows at once

st.title(":material/troubleshoot: Evaluation")
name = current_model_name()
if not name:
    st.info("Pick a model in the sidebar.")
    st.stop()
bundle = registry.inspect(name)
card = bundle.card or {}
key_of_model = f"{name}@{bundle.mtime}"
on_disk = datasets.on_disk(card.get("dataset", ""))
may_refresh = on_disk and teacher_lock.is_teacher()  # the whole test set is heavy: the teacher's, when one is set


# ---------------------------------------------------------------- which evaluation
fresh_all = st.session_state.setdefault("fresh_evaluations", {})
stored_error = None
try:
    stored = evaluation.EvalView.from_bundle(name)
except HWLabError as exc:
    stored, stored_error = None, str(exc)
fresh = fresh_all.get(key_of_model)
top = st.columns([3, 2])
with top[1]:
    if may_refresh:
        if st.button("Evaluate afresh on the test set", icon=":material/refresh:", key="evaluate_afresh",
                     help="Runs the model on every test image (also makes correct predictions browsable)."):
            bar = st.progress(0.0, text="Loading the dataset…")
            ds = dataset_on_disk(card["dataset"])
            if ds is None:
                bar.empty()
                st.error(f"The {card['dataset']} files could not be read from disk.")
            else:
                try:
                    pred = current_predictor()
                    if pred is not None:
                        probs = evaluation.batched(pred, ds.test.x, batch=500, progress=lambda d, n: bar.progress(
                            d / n, text=f"Evaluating: {d:,} of {n:,} test images"))
                        fresh = fresh_all[key_of_model] = evaluation.EvalView.from_predictions(
                            probs, ds.test.x, ds.test.y, ds.classes)
                except HWLabError as exc:
                    st.error(str(exc))
                bar.empty()
    elif on_disk:
        st.caption("The teacher evaluates afresh (the whole test set): showing the evaluation stored with the model.")
    else:
        st.caption("The dataset is not on disk: showing the evaluation stored with the model.")
views = {k: v for k, v in (("stored", stored), ("fresh", fresh)) if v is not None}
if stored_error:
    st.error(stored_error)
if not views:
    if not stored_error:
        st.warning(f"{name} has no stored evaluation (evaluation.json).")
    st.info("With its dataset on disk, the model can be evaluated afresh (button above)." if may_refresh
            else "With its dataset on disk, the teacher can evaluate it afresh.")
    st.stop()
with top[0]:
    st.markdown(f"**{bundle.title}** · `{name}`")
    which = "stored"
    if len(views) > 1:
        which = st.segmented_control("Evaluation", ["fresh", "stored"], default="fresh", key="eval_source",
                                     format_func={"fresh": "Fresh run", "stored": "Stored with the model"}.get) or "fresh"
    view = views.get(which) or next(iter(views.values()))
    st.caption(f"Test accuracy **{view.accuracy:.2%}** on {view.n:,} held-out test images"
               + (" (stored with the model)." if view.source == "stored" else " (evaluated just now)."))

classes = view.classes
n = len(classes)


def choose_example(slot: str, row: int) -> None:
    st.session_state[f"{slot}-chosen"] = (key_of_model, view.source, int(row))


def example_grid(rows: np.ndarray, slot: str, caption) -> None:
    """Test images as a grid, each with its caption and a button that opens its explanation below."""
    # A wrapping row of fixed-width tiles, not columns: at 200% zoom eight columns cut "Explain" to "Expl…".
    with st.container(horizontal=True, wrap=True, gap="small"):
        for r in rows:
            with st.container(width=104):
                st.image(pixels(view.images[r], scale=4, grid=False), caption=caption(r), width="stretch",
                         alt=f"Test image #{int(view.index[r])}: {caption(r)}")
                st.button("Explain", key=f"{slot}-explain-{r}", on_click=choose_example, args=(slot, r),
                          width="stretch")


def explanation(slot: str) -> None:
    """The explanation of the example last chosen in this grid, if any."""
    chosen = st.session_state.get(f"{slot}-chosen")
    if not chosen or chosen[0] != key_of_model or chosen[1] != view.source or chosen[2] >= len(view.images):
        return
    r = chosen[2]
    t, p = int(view.true[r]), int(view.pred[r])
    with st.container(border=True):
        head = st.columns([1, 4, 1])
        head[0].image(pixels(view.images[r], scale=4), width=112,
                      alt=f"Test image #{int(view.index[r])}, true {classes[t]}, predicted {classes[p]}")
        head[1].markdown(f"#### Test image #{int(view.index[r])}: true **{classes[t]}**, predicted **{classes[p]}** "
                         f"({view.confidence[r]:.1%})")
        if head[2].button("Close", key=f"{slot}-close"):
            st.session_state.pop(f"{slot}-chosen", None)
            st.rerun()
        pred = current_predictor()
        if pred is not None:
            explain_input(pred, view.images[r], key=f"{slot}-x", true_label=classes[t])
            show_insights(pred, view.images[r], f"{slot}-insight")


def conf_caption(r: int) -> str:
    return f"{classes[int(view.true[r])]} → {classes[int(view.pred[r])]} · {view.confidence[r]:.0%}"


# ---------------------------------------------------------------- confusion matrix
st.subheader("Confusion matrix")
CELL_T, CELL_P = "cell_true", "cell_pred"
if st.session_state.get(CELL_T) not in classes or st.session_state.get(CELL_P) not in classes:
    worst = view.most_confused[0] if view.most_confused else {"true": classes[0], "predicted": classes[0]}
    st.session_state[CELL_T], st.session_state[CELL_P] = str(worst["true"]), str(worst["predicted"])


def on_cell_click() -> None:
    points = (st.session_state.get("confusion_chart") or {}).get("selection", {}).get("points", [])
    if points and str(points[0].get("y")) in classes and str(points[0].get("x")) in classes:
        st.session_state[CELL_T], st.session_state[CELL_P] = str(points[0]["y"]), str(points[0]["x"])


def on_pair_pick() -> None:
    rows = (st.session_state.get("pairs_table") or {}).get("selection", {}).get("rows", [])
    if rows and rows[0] < len(view.most_confused):
        pair = view.most_confused[rows[0]]
        st.session_state[CELL_T], st.session_state[CELL_P] = str(pair["true"]), str(pair["predicted"])


mode = st.segmented_control("View", ["Counts", "Row %", "Errors only"], default="Counts", key="cm_view",
                            help="Row %: each true class sums to 100%. Errors only: the diagonal (correct "
                                 "predictions) removed, so the mistakes stand out.") or "Counts"
cm = view.confusion
pct = view.normalised()
ti, pi = classes.index(st.session_state[CELL_T]), classes.index(st.session_state[CELL_P])
fig = confusion_heatmap(cm, pct, classes, mode, (ti, pi))
left, right = st.columns([3, 2], gap="large")
with left:
    st.plotly_chart(fig, key="confusion_chart", on_select=on_cell_click, selection_mode="points",
                    config={"displayModeBar": False})
    st.caption("Click a cell to see its test images (or choose the classes on the right).")
    matrix_table(cm, classes, "confusion")
with right:
    c1, c2 = st.columns(2)
    c1.selectbox("True class", classes, key=CELL_T)
    c2.selectbox("Predicted class", classes, key=CELL_P)
    t, p = classes.index(st.session_state[CELL_T]), classes.index(st.session_state[CELL_P])
    count = int(cm[t, p])
    share = pct[t, p]
    st.markdown(f"##### True {classes[t]}, predicted {classes[p]}: {count:,} test image{'s' * (count != 1)} "
                f"({share:.1f}% of the {int(cm[t].sum()):,} test images of {classes[t]})")
    st.subheader("Most-confused pairs")
    pairs = pd.DataFrame([{"true": d["true"], "predicted": d["predicted"], "count": d["count"],
                           "share of true class": pct[classes.index(str(d["true"])), classes.index(str(d["predicted"]))]}
                          for d in view.most_confused if str(d["true"]) in classes and str(d["predicted"]) in classes])
    if pairs.empty:
        st.caption("No mistakes at all.")
    else:
        st.dataframe(pairs, hide_index=True, key="pairs_table", on_select=on_pair_pick, selection_mode="single-row",
                     column_config={"share of true class": st.column_config.NumberColumn(format="%.2f%%")})
        st.caption("Select a row to show that cell.")

rows = view.cell(t, p)
st.markdown(f"**Test images of the cell true {classes[t]} → predicted {classes[p]}**")
if t == p and not view.has_correct:
    st.info(f"Correct predictions ({count:,} here) are not stored with the model, only its mistakes. "
            + ("Evaluate afresh (button above) to browse them." if may_refresh
               else "The teacher can evaluate afresh to make them browsable." if on_disk
               else "With the dataset on disk, evaluating afresh makes them browsable."))
elif count == 0:
    st.caption("No test image in this cell.")
else:
    if view.source == "stored" and len(rows) < count:
        st.caption(f"The model stores its {evaluation.MAX_MISCLASSIFIED:,} most confident mistakes: "
                   f"{len(rows):,} of this cell's {count:,} are here.")
    shown = rows[:PAGE]
    if len(rows) > PAGE:
        st.caption(f"The {PAGE} most confident of {len(rows):,}.")
    example_grid(shown, "cell", lambda r: f"#{int(view.index[r])} · {view.confidence[r]:.0%}")
    explanation("cell")

# ---------------------------------------------------------------- per-class report
st.subheader("Per-class precision, recall, F1 and support")
report = pd.DataFrame(view.report_rows())
st.dataframe(report, hide_index=True, key="report_table", height=min(35 * (len(report) + 1) + 3, 640), column_config={
    "precision": st.column_config.NumberColumn(format="%.4f"), "recall": st.column_config.NumberColumn(format="%.4f"),
    "f1": st.column_config.NumberColumn("F1", format="%.4f"), "support": st.column_config.NumberColumn(format="localized"),
})
st.caption("As scikit-learn's classification_report: macro avg is the plain mean over classes, weighted avg "
           "weights each class by its support.")

# ---------------------------------------------------------------- misclassified explorer
st.subheader("Misclassified explorer")
if view.source == "stored":
    st.caption(f"{len(view.mistakes()):,} stored mistakes of {int(cm.sum() - np.trace(cm)):,} "
               f"(a bundle keeps up to {evaluation.MAX_MISCLASSIFIED:,}, the most confident first).")
f1, f2, f3 = st.columns([2, 2, 2])
want_t = f1.multiselect("True class", classes, key="mis_true", placeholder="any")
want_p = f2.multiselect("Predicted class", classes, key="mis_pred", placeholder="any")
order = f3.segmented_control("Sort by confidence", ["Most confident first", "Least confident first"],
                             default="Most confident first", key="mis_order") or "Most confident first"
found = view.mistakes([classes.index(c) for c in want_t], [classes.index(c) for c in want_p],
                      order == "Most confident first")
tab_grid, tab_seed = st.tabs(["Wrong predictions", "One mistake of each kind (true × predicted)"])
with tab_grid:
    if not len(found):
        st.caption("No mistake matches these filters.")
    else:
        pages = -(-len(found) // PAGE)
        if st.session_state.get("mis_page", 1) > pages:  # fewer pages after a filter changed
            st.session_state["mis_page"] = 1
        page = st.number_input(f"Page (of {pages})", 1, pages, 1, key="mis_page") if pages > 1 else 1
        st.caption(f"{len(found):,} wrong predictions; each says true → predicted · confidence.")
        example_grid(found[(page - 1) * PAGE:page * PAGE], "mis", conf_caption)
        explanation("mis")

with tab_seed:
    firsts = view.first_mistakes()
    if not firsts:
        st.caption("No mistakes to show.")
    else:
        k = 30  # pixels a tile, with a margin
        board = np.full((n * k, n * k), 40, np.uint8)
        for (pp, tt), r in firsts.items():
            board[pp * k + 1:pp * k + 29, tt * k + 1:tt * k + 29] = view.images[r]
        g = go.Figure(go.Heatmap(z=board, colorscale="gray", showscale=False, hoverinfo="skip"))
        tick = [i * k + k / 2 - 0.5 for i in range(n)]
        pairs_list = list(firsts.items())
        g.add_trace(go.Scatter(
            x=[tt * k + k / 2 - 0.5 for (pp, tt), _ in pairs_list], y=[pp * k + k / 2 - 0.5 for (pp, tt), _ in pairs_list],
            mode="markers", marker=dict(symbol="square", size=max(10, 500 // n), color="rgba(0,0,0,0)"),
            showlegend=False, customdata=[[classes[tt], classes[pp], int(view.index[r])] for (pp, tt), r in pairs_list],
            hovertemplate="true %{customdata[0]}, predicted %{customdata[1]} · test image #%{customdata[2]}<extra></extra>"))
        g.update_layout(height=560 if n <= 12 else 820, margin=dict(l=10, r=10, t=10, b=10), dragmode=False,
                        xaxis=dict(title="true class", tickvals=tick, ticktext=classes, side="top", constrain="domain",
                                   showgrid=False, zeroline=False),
                        yaxis=dict(title="predicted class", tickvals=tick, ticktext=classes, autorange="reversed",
                                   scaleanchor="x", constrain="domain", showgrid=False, zeroline=False))

        def on_first_click() -> None:
            pts = (st.session_state.get("first_mistakes_chart") or {}).get("selection", {}).get("points", [])
            if pts and pts[0].get("point_index") is not None and pts[0].get("curve_number", 1) == 1:
                choose_example("seed", pairs_list[int(pts[0]["point_index"])][1])

        st.plotly_chart(g, key="first_mistakes_chart", on_select=on_first_click, selection_mode="points",
                        config={"displayModeBar": False})
        st.caption("Rows: predicted class; columns: true class; each tile is the first test image (in test-set "
                   "order) with that mistake. Click a tile to explain it.")
        explanation("seed")
