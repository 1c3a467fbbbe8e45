"""Export every shipped bundle to each format: the seconds it takes, the sizes, and the exported model's speed
on one image beside Keras's compiled call (core/compiled.py, what the app runs), all measured in this run.

    python benchmarks/export_speed.py [--models NAME ...] [--formats keras onnx litert] [--repeat 50]

One line a (bundle, format): export seconds, zip and model-file sizes, the median milliseconds of one image
through the exported file in its own runtime (ONNX Runtime, LiteRT's interpreter; Keras for the .keras
file, loaded afresh) next to the median of the bundle's compiled call. Then one JSON line with every row.
A runtime that is not installed is said so; a format that cannot hold a model prints its sentence.
"""
from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import _setup  # noqa: F401  (project root on sys.path, quiet TensorFlow, the shared data)
import numpy as np

from core import export, registry
from core.errors import HWLabError


def median_ms(call, x: np.ndarray, repeat: int) -> float:
    call(x)  # warm: tracing, XLA, allocation
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        call(x)
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def runtime_call(fmt: str, model_file: Path):
    """The exported file's own runtime, as x -> probabilities for one image; None when it is not installed."""
    try:
        if fmt == "keras":
            import keras

            model = keras.saving.load_model(model_file, compile=False)
            return lambda x: np.asarray(model(x, training=False))  # what the zip's example does
        if fmt == "onnx":
            import onnxruntime

            session = onnxruntime.InferenceSession(str(model_file), providers=["CPUExecutionProvider"])
            name = session.get_inputs()[0].name
            return lambda x: session.run(None, {name: x})[0]
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        return None
    interpreter = Interpreter(model_path=str(model_file))
    interpreter.allocate_tensors()
    image, output = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

    def call(x):
        interpreter.set_tensor(image, x)
        interpreter.invoke()
        return interpreter.get_tensor(output)
    return call


def measure(name: str, fmt: str, x: np.ndarray, keras_ms: float, repeat: int) -> dict:
    row = {"model": name, "format": fmt}
    t = time.perf_counter()
    try:
        data = export.build_zip(name, fmt)
    except HWLabError as exc:
        return {**row, "error": str(exc)}
    row["export_s"] = round(time.perf_counter() - t, 2)
    row["zip_bytes"] = len(data)
    model_file = export.FORMATS[fmt].model_file
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(io.BytesIO(data)) as zf:
        path = Path(tmp) / model_file
        path.write_bytes(zf.read(f"{name}-{fmt}/{model_file}"))
        row["model_bytes"] = path.stat().st_size
        call = runtime_call(fmt, path)
        row["exported_ms"] = round(median_ms(call, x, repeat), 3) if call else None
    row["keras_compiled_ms"] = round(keras_ms, 3)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", help="bundle names (default: every usable bundle)")
    ap.add_argument("--formats", nargs="*", default=list(export.FORMATS), choices=list(export.FORMATS))
    ap.add_argument("--repeat", type=int, default=50, help="timed calls per median (default 50)")
    a = ap.parse_args(argv)
    names = a.models or [b.name for b in registry.list_bundles() if b.ok]
    x = np.random.default_rng(0).random((1, 28, 28, 1), dtype=np.float32)
    rows = []
    print(f"{'model':<38} {'format':<7} {'export s':>8} {'zip MB':>7} {'file MB':>7} {'exported ms':>11} "
          f"{'keras compiled ms':>17}")
    for name in names:
        keras_ms = median_ms(registry.Predictor(name), x, a.repeat)
        for fmt in a.formats:
            row = measure(name, fmt, x, keras_ms, a.repeat)
            rows.append(row)
            if "error" in row:
                print(f"{name:<38} {fmt:<7} {row['error']}")
                continue
            ms = f"{row['exported_ms']:.3f}" if row["exported_ms"] is not None else "runtime not installed"
            print(f"{name:<38} {fmt:<7} {row['export_s']:>8.2f} {row['zip_bytes'] / 1e6:>7.2f} "
                  f"{row['model_bytes'] / 1e6:>7.2f} {ms:>11} {row['keras_compiled_ms']:>17.3f}", flush=True)
    print(json.dumps({"export_speed": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
