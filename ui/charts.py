"""The figures drawn on several pages, each built in one place: training curves (Models and Train pages),
the confusion heatmap (Evaluation), class bars (Datasets; a dense layer's units in the explanations) and
probability bars (Draw). Plotly figures only; the pages place them and handle clicks."""
from __future__ import annotations

from typing import Optional

import numpy as np
import plotly.graph_objects as go

PALETTE = ["#d6336c", "#1c7ed6", "#37b24d", "#f59f00", "#7048e8", "#0ca678", "#e8590c", "#495057", "#ae3ec9",
           "#74b816"]
ACCENT, GREY = "#d6336c", "#adb5bd"
CURVE_TITLES = {"accuracy": "Accuracy", "loss": "Loss (cross-entropy)", "learning_rate": "Learning rate"}


def training_curves(histories: dict[str, list[dict]], metric: str, running: Optional[list[dict]] = None,
                    height: int = 320, live: bool = False) -> go.Figure:
    """One metric per epoch for one model or several overlaid (`histories`: name -> history rows with
    `epoch`, `metric` and `val_<metric>`): train solid, validation dashed, a colour a model. `running`
    (the Train page's job): rows {"x": fractional epoch, metric: mean within the epoch so far} drawn thin,
    named a running mean while the job runs (`live`), the mean within each epoch once it has ended."""
    several = len(histories) > 1
    fig = go.Figure()
    for i, (name, rows) in enumerate(histories.items()):
        color = PALETTE[i % len(PALETTE)]
        label = name if several else "training"
        epochs = [r.get("epoch") for r in rows]
        if running and not several:
            fig.add_scatter(x=[b["x"] for b in running], y=[b.get(metric) for b in running], mode="lines",
                            name="training (running mean)" if live else "training (within each epoch)", line=dict(color=color, width=1), opacity=0.5)
        y = [r.get(metric) for r in rows]
        if any(v is not None for v in y):
            fig.add_scatter(x=epochs, y=y, mode="lines+markers", name=f"{label} · train" if several else label,
                            line=dict(color=color), legendgroup=name)
        yv = [r.get(f"val_{metric}") for r in rows]
        if any(v is not None for v in yv):
            fig.add_scatter(x=epochs, y=yv, mode="lines+markers", name=f"{label} · validation" if several
                            else "validation", line=dict(color=color, dash="dash"), legendgroup=name)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=36, b=10), xaxis_title="epoch",
                      title=CURVE_TITLES.get(metric, metric), legend=dict(orientation="h", y=-0.25))
    if metric == "accuracy":
        fig.update_yaxes(tickformat=".1%")
    elif metric == "learning_rate":
        fig.update_yaxes(type="log", exponentformat="e")
    return fig


def class_bars(classes: list[str], series: dict[str, np.ndarray], what: str = "images",
               colors: Optional[list[str]] = None, height: int = 320) -> go.Figure:
    """A count (or value) per class, one bar group a series (Datasets: train and test images a class)."""
    labels = [str(c) for c in classes]
    colors = colors or [ACCENT, "#868e96"] + PALETTE[1:]
    fig = go.Figure([go.Bar(name=name, x=labels, y=np.asarray(v).tolist(), marker_color=colors[k % len(colors)],
                            hovertemplate=f"%{{x}}: %{{y:,}} {name} {what}<extra></extra>")
                     for k, (name, v) in enumerate(series.items())])
    fig.update_layout(barmode="group", height=height, margin=dict(l=10, r=10, t=30, b=10),
                      xaxis=dict(type="category", tickmode="array", tickvals=labels, ticktext=labels, tickangle=0),
                      yaxis=dict(title=what), legend=dict(orientation="h", y=1.12, x=0))
    return fig


def probability_bars(classes: list[str], probs: np.ndarray, height: int = 220, font_size: int = 12) -> dict:
    """The probability of every class as a Vega-Lite spec (st.vega_lite_chart), the most probable one
    highlighted (none while all are zero); `font_size` large for the presenter view. Vega-Lite, not Plotly:
    the Draw page draws this after every stroke, and building and serialising a Plotly figure was a fifth of
    the server's time a prediction with 30 students drawing (py-spy on benchmarks/concurrent_users.py); this
    spec is a small dict. SVG, so that its text is text (the presenter test reads its type size)."""
    probs = np.asarray(probs, float)
    top = int(probs.argmax()) if probs.max() > 0 else -1  # all zero (nothing drawn yet): no winner
    axis = {"labelFontSize": font_size, "title": None, "grid": False}
    bars = {  # one layer that carries its own rows: Streamlit turns top-level rows into a pandas/Arrow table,
        # which cost more than the rest of the chart; rows inside a layer travel as plain JSON
        "data": {"values": [{"class": str(c), "p": float(p), "top": i == top}
                            for i, (c, p) in enumerate(zip(classes, probs))]},
        "mark": {"type": "bar", "cornerRadiusEnd": 2},
        "encoding": {
            "x": {"field": "class", "type": "nominal", "sort": None, "axis": {**axis, "labelAngle": 0}},
            "y": {"field": "p", "type": "quantitative", "scale": {"domain": [0, 1]},
                  "axis": {**axis, "format": ".0%", "tickCount": 5, "grid": True}},
            "color": {"condition": {"test": "datum.top", "value": ACCENT}, "value": GREY},
            "tooltip": [{"field": "class", "title": "class"}, {"field": "p", "title": "probability", "format": ".1%"}],
        },
    }
    # The chart's text alternative (the SVG's label for a screen reader): every class with its probability.
    said = ", ".join(f"{c} {p:.0%}" for c, p in zip(classes, probs))
    return {"layer": [bars], "height": height, "description": f"Probability of each class: {said}",
            "usermeta": {"embedOptions": {"renderer": "svg"}}}


def confusion_heatmap(cm: np.ndarray, pct: np.ndarray, classes: list[str], mode: str,
                      selected: tuple[int, int]) -> go.Figure:
    """The confusion matrix (rows true, columns predicted) as counts, row percentages or errors only, with a
    clickable invisible marker on every cell and the selected (true, predicted) cell framed."""
    n = len(classes)
    z = {"Counts": cm.astype(float), "Row %": pct, "Errors only": cm.astype(float)}[mode].copy()
    text = np.array([[f"{cm[i, j]}" if mode != "Row %" else f"{pct[i, j]:.1f}" for j in range(n)] for i in range(n)])
    if mode == "Errors only":
        np.fill_diagonal(z, np.nan)
        text[np.diag_indices(n)] = ""
        text[(cm == 0)] = ""
    ti, pi = selected
    fig = go.Figure(go.Heatmap(z=z, x=classes, y=classes, text=text, texttemplate="%{text}" if n <= 30 else None,
                               colorscale="Reds" if mode == "Errors only" else "Blues", hoverinfo="skip",
                               colorbar=dict(title="%" if mode == "Row %" else "images", thickness=12)))
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    fig.add_trace(go.Scatter(  # an invisible marker on every cell: Streamlit reports clicks on these, not on heatmaps
        x=[classes[j] for j in jj.ravel()], y=[classes[i] for i in ii.ravel()], mode="markers",
        marker=dict(symbol="square", size=max(8, 440 // n), color="rgba(0,0,0,0)"), showlegend=False,
        customdata=np.stack([cm.ravel(), pct.ravel()], axis=1),
        hovertemplate="true %{y}, predicted %{x}: %{customdata[0]} images (%{customdata[1]:.1f}% of the true %{y})<extra></extra>"))
    fig.add_shape(type="rect", x0=pi - 0.5, x1=pi + 0.5, y0=ti - 0.5, y1=ti + 0.5, line=dict(color="#f59f00", width=3))
    side = 520 if n <= 12 else 760
    fig.update_layout(height=side, margin=dict(l=10, r=10, t=10, b=10), dragmode=False,
                      xaxis=dict(title="predicted", type="category", side="top", constrain="domain"),
                      yaxis=dict(title="true", type="category", autorange="reversed", scaleanchor="x",
                                 constrain="domain"))
    return fig


def unit_bars(labels: list[str], values: np.ndarray, title: str, highlight: bool, height: int = 170) -> go.Figure:
    """A dense layer's units as bars (the output layer's in the accent colour)."""
    v = np.asarray(values, float)
    fig = go.Figure(go.Bar(x=labels, y=v, marker_color=ACCENT if highlight else "#495057",
                           hovertemplate="%{x}: %{y:.3g}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=28, b=10), title=dict(text=title, font=dict(size=12)),
                      xaxis=dict(type="category", showticklabels=len(v) <= 40), showlegend=False)
    return fig
