"""The three formats a model leaves in, and the conversion into each: Keras (the bundle's own model.keras),
ONNX and LiteRT (TensorFlow Lite), both through Keras's own `model.export(path, format=...)` (tf2onnx and
TensorFlow's TFLiteConverter underneath).

A converter that cannot hold one of the model's operations either raises (LiteRT) or writes a file that
no runtime will load (tf2onnx keeps an op it does not know under its TensorFlow name): both end here as an
ExportError that names the layer and the operation, and the other formats are not affected."""
from __future__ import annotations

import contextlib
import re
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ExportError

ONNX_OPSET = 17  # ONNX Runtime 1.16+ (Python, C#, Java) and onnxruntime-web run it


@dataclass(frozen=True)
class Format:
    name: str  # as the CLI and the page say it: keras, onnx, litert
    title: str  # as a reader says it
    model_file: str  # the model's file name inside the zip
    example: str  # the Python example's template (core/export/templates/)
    runtime: str  # what the example needs, as a pip line
    convert: Callable  # (keras model, bundle's model.keras, target path) -> None


def _keras(model, source: Path, target: Path) -> None:
    shutil.copyfile(source, target)  # the bundle's own file: exactly what the app runs


def _onnx(model, source: Path, target: Path) -> None:
    try:
        with _converter_quiet():
            model.export(str(target), format="onnx", verbose=False, opset_version=ONNX_OPSET)
    except Exception as exc:  # tf2onnx stopping on a pattern it cannot translate
        raise ExportError(_unsupported("ONNX", None, None, exc)) from None
    import onnx

    try:
        onnx.checker.check_model(str(target))
    except onnx.checker.ValidationError as exc:  # an op tf2onnx kept under its TensorFlow name
        raise ExportError(_unsupported("ONNX", *_onnx_culprit(str(exc), _layers(model)), exc)) from None


def _litert(model, source: Path, target: Path) -> None:
    import tensorflow as tf

    # Built-in operations only: a file that needs TensorFlow's "select ops" (Keras's default allows them) runs
    # only with the large Flex runtime, which phones and small boards do not have. Better to say so here.
    try:
        with _converter_quiet():
            model.export(str(target), format="litert", verbose=False,
                         target_spec={"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]})
    except Exception as exc:  # the converter's errors are MLIR text; the op and its layer are all a user needs
        raise ExportError(_unsupported("LiteRT", *_litert_culprit(str(exc), _layers(model)), exc)) from None


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("keras", "Keras", "model.keras", "predict_keras.py", "keras tensorflow pillow", _keras),
    Format("onnx", "ONNX", "model.onnx", "predict_onnx.py", "onnxruntime pillow", _onnx),
    Format("litert", "LiteRT (TensorFlow Lite)", "model.tflite", "predict_litert.py", "ai-edge-litert pillow", _litert),
)}


def get(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise ExportError(f"{name!r} is not an export format; choose one of {', '.join(FORMATS)}.") from None


def convert(model, fmt: Format, source: Path, target: Path) -> None:
    """The keras model (already called once: ONNX export needs its traced shapes) written to target."""
    model(np.zeros((1, 28, 28, 1), np.float32))
    fmt.convert(model, source, target)


# ---------------------------------------------------------------- a converter's failure, as a sentence
def _layers(model) -> set[str]:
    return {layer.name for layer in model.layers}


def _unsupported(fmt: str, op: str | None, layer: str | None, exc: Exception) -> str:
    if op:
        where = f"its layer {layer!r} uses {op}" if layer else f"it uses {op}"
        return f"This model cannot be saved as {fmt}: {where}, which {fmt} does not have. The other formats still work."
    said = " ".join(str(exc).split())[:200] or type(exc).__name__  # one line, short: the converter's own words
    return f"This model cannot be saved as {fmt}: its converter stopped ({said}). The other formats still work."


def _layer_of(path: str, layers: set[str]) -> str | None:
    """The model's layer in a traced op's path, model/layer/.../op (traced names may carry a suffix, _1)."""
    for part in path.split("/")[1:-1]:
        for name in (part, re.sub(r"_\d+$", "", part)):
            if name in layers:
                return name
    return None


def _onnx_culprit(message: str, layers: set[str]) -> tuple[str | None, str | None]:
    m = re.search(r"Name: (\S+) OpType: (\w+)", message)
    return (m.group(2), _layer_of(m.group(1), layers)) if m else (None, None)


def _litert_culprit(message: str, layers: set[str]) -> tuple[str | None, str | None]:
    m = re.search(r'fused\["(\w+):", "([^"@]+)@', message)
    if m:
        return m.group(1), _layer_of(m.group(2), layers)
    m = re.search(r"'tf\.(\w+)' op", message)
    return (m.group(1), None) if m else (None, None)


@contextlib.contextmanager
def _converter_quiet():
    """The converters print progress lines on stdout; the CLI's stdout is JSON only, so they go to stderr.
    Keras's tf2onnx glue warns about numpy's future `np.object` on every export: not ours to act on."""
    with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module="keras.src.export")
        yield
