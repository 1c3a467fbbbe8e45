"""What a model computes inside, for one input and in general: every layer's activations (`Activations`),
its convolution filters (`conv_filters`) and, for linear models and MLPs, its first-layer weights as
28x28 templates (`weight_templates`). The pictures of them are made in core/model/pictures.py."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..model.compiled import compiled_call
from ..model.input import one_image
from ..errors import ExplainError


# ---------------------------------------------------------------- activations
@dataclass
class LayerOutput:
    name: str
    type: str  # the layer's class name: Conv2D, Dense, ...
    values: np.ndarray  # one example: (H,W,C) for feature maps, (units,) for vectors

    @property
    def kind(self) -> str:
        """'maps' (H,W,C), 'vector' (units,) or 'other'."""
        return {3: "maps", 1: "vector"}.get(self.values.ndim, "other")

    @property
    def passthrough(self) -> bool:
        """Dropout (off at inference) and Flatten (a reshape) show nothing new."""
        return self.type in ("Dropout", "SpatialDropout2D", "Flatten", "Reshape", "GaussianNoise")


class Activations:
    """Every layer's output for one input, from one multi-output keras.Model built once."""

    def __init__(self, model):
        import keras

        self.layers = [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
        if not model.inputs:
            raise ExplainError("This model has no keras.Input, so its layers' outputs cannot be read.")
        self.model = keras.Model(inputs=model.inputs, outputs=[l.output for l in self.layers],
                                 name=f"{model.name}_activations")
        self._call = compiled_call(self.model)
        self._call(np.zeros((1, 28, 28, 1), np.float32))  # trace now, not on the first drawing

    def __call__(self, x: np.ndarray) -> list[LayerOutput]:
        outs = self._call(one_image(x))
        return [LayerOutput(l.name, type(l).__name__, o[0]) for l, o in zip(self.layers, outs)]


def conv_filters(model) -> list[tuple[str, np.ndarray, str]]:
    """(layer name, filters (F,k,k), note) for each Conv2D layer: the first layer's filters are
    exactly what they match in the image; deeper ones are averaged over their input channels."""
    import keras

    out = []
    for l in model.layers:
        if isinstance(l, keras.layers.Conv2D) and l.get_weights():
            k = np.asarray(l.get_weights()[0], np.float32)  # (kh, kw, cin, cout)
            f = k.mean(axis=2).transpose(2, 0, 1)
            note = (f"{f.shape[0]} filters of {k.shape[0]}x{k.shape[1]}"
                    + ("" if k.shape[2] == 1 else f", averaged over {k.shape[2]} input channels"))
            out.append((l.name, f, note))
    return out


@dataclass
class Templates:
    layer: str
    weights: np.ndarray  # (units, 28, 28)
    labels: list[str]  # class names for a linear model's units, else "unit k"


def weight_templates(model, classes: Optional[list[str]] = None) -> Optional[Templates]:
    """The first Dense layer reading the 784 pixels, as one 28x28 template per unit (red: ink there
    raises the unit, blue: lowers it). For logistic regression these are the class templates."""
    import keras

    for l in model.layers:
        if isinstance(l, keras.layers.Dense) and l.get_weights():
            k = np.asarray(l.get_weights()[0], np.float32)
            if k.shape[0] != 28 * 28:
                return None  # the first Dense layer reads features, not pixels
            units = k.shape[1]
            labels = ([str(c) for c in classes] if classes is not None and len(classes) == units
                      else [f"unit {i + 1}" for i in range(units)])
            return Templates(l.name, k.T.reshape(units, 28, 28), labels)
    return None


def architecture_kind(card: Optional[dict]) -> str:
    """'linear', 'mlp' or 'cnn', from the model card (older cards: guessed from the name)."""
    arch = (card or {}).get("architecture") or {}
    kind = arch.get("kind")
    if kind in ("linear", "mlp", "cnn"):
        return kind
    name = str(arch.get("name", ""))
    return "linear" if name.startswith("logreg") else "mlp" if name.startswith("mlp") else "cnn"
