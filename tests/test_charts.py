"""ui/charts.py: the figures several pages draw, checked on what a user reads off them."""
import json

import numpy as np

from ui import charts

HISTORY = [{"epoch": 1, "accuracy": 0.9, "val_accuracy": 0.92, "loss": 0.3, "learning_rate": 1e-3},
           {"epoch": 2, "accuracy": 0.95, "val_accuracy": 0.94, "loss": 0.2, "learning_rate": 5e-4}]


def test_training_curves_one_model_several_models_and_a_running_job():
    one = charts.training_curves({"m": HISTORY}, "accuracy")
    assert [t.name for t in one.data] == ["training", "validation"]
    assert one.data[1].line.dash == "dash" and list(one.data[1].y) == [0.92, 0.94]
    two = charts.training_curves({"a": HISTORY, "b": HISTORY[:1]}, "accuracy")
    assert [t.name for t in two.data] == ["a · train", "a · validation", "b · train", "b · validation"]
    assert two.data[0].line.color != two.data[2].line.color  # a colour a model
    batches = [{"x": 0.5, "loss": 0.4}, {"x": 1.0, "loss": 0.3}]
    live = charts.training_curves({"job": HISTORY}, "loss", running=batches, live=True)
    assert [t.name for t in live.data] == ["training (running mean)", "training"]  # no validation loss recorded
    ended = charts.training_curves({"job": HISTORY}, "loss", running=batches)  # the job has ended: no "running"
    assert [t.name for t in ended.data] == ["training (within each epoch)", "training"]
    assert charts.training_curves({"m": HISTORY}, "learning_rate").layout.yaxis.type == "log"


def test_class_bars_and_probability_bars():
    fig = charts.class_bars(["0", "1"], {"train": np.array([5, 7]), "test": np.array([1, 2])})
    assert [t.name for t in fig.data] == ["train", "test"] and list(fig.data[1].y) == [1, 2]
    spec = charts.probability_bars(["a", "b", "c"], np.array([0.1, 0.7, 0.2]))
    assert "data" not in spec  # rows at the top would go through pandas and Arrow in Streamlit, on every stroke
    bars = spec["layer"][0]
    assert [(v["class"], v["p"], v["top"]) for v in bars["data"]["values"]] == [("a", 0.1, False), ("b", 0.7, True),
                                                                                 ("c", 0.2, False)]
    assert bars["encoding"]["color"] == {"condition": {"test": "datum.top", "value": charts.ACCENT},
                                         "value": charts.GREY}
    json.dumps(bars)  # st.vega_lite_chart sends it as JSON: plain Python values only
    blank = charts.probability_bars(["a", "b"], np.zeros(2))["layer"][0]
    assert not any(v["top"] for v in blank["data"]["values"])  # nothing drawn yet: no winner


def test_confusion_heatmap_modes_and_the_selected_cell():
    cm = np.array([[8, 2], [0, 10]])
    pct = cm / cm.sum(axis=1, keepdims=True) * 100
    errors = charts.confusion_heatmap(cm, pct, ["x", "y"], "Errors only", (0, 1))
    z = np.array(errors.data[0].z, float)
    assert np.isnan(z[0, 0]) and np.isnan(z[1, 1]) and z[0, 1] == 2
    rows = charts.confusion_heatmap(cm, pct, ["x", "y"], "Row %", (0, 1))
    assert np.array(rows.data[0].text)[0, 1] == "20.0"
    frame = rows.layout.shapes[0]
    assert (frame.x0, frame.y0) == (0.5, -0.5)  # predicted y (column 1), true x (row 0)
