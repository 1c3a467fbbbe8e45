"""A bundle as a zip to take home: the model in one format, labels.txt (the class names in output order), a
README.md (the input the model needs, how to run it), preprocess.py (a picture -> the model's input, numpy and
Pillow only), predict.py (a runnable example) and, for ONNX, index.html (a page to draw on that runs the model
in the browser with onnxruntime-web). Everything in the zip lies in one folder, `<model>-<format>/`."""
from __future__ import annotations

import io
import re
import tempfile
import time
import zipfile
from pathlib import Path

from .. import atomic, registry
from ..errors import BadModel, ExportError
from ..progress import ProgressCallback
from . import formats

TEMPLATES = Path(__file__).with_name("templates")
# The ONNX page's runtime: the npm package onnxruntime-web, this version, from a copy beside the page or else
# from this public address (a CDN that serves npm packages as files).
ORT_WEB_VERSION = "1.22.0"
ORT_WEB_URL = f"https://cdn.jsdelivr.net/npm/onnxruntime-web@{ORT_WEB_VERSION}/dist/ort.wasm.min.js"
ORT_WEB_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
STYLE_TEXT = {
    "mnist": "like MNIST: the ink cropped to its box, its longer side fitted into 20x20 pixels (keeping the aspect "
             "ratio), its centre of mass moved to the centre of the 28x28 frame.",
    "emnist": "like EMNIST: the ink cropped to its box, centred in a square, blurred a little, shrunk to 24x24 inside "
              "a 2-pixel black border, the brightest pixel scaled to 1.",
}
STEPS = 4  # load, convert (most of the time), write the files, zip


def _render(template: str, values: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    text = re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], text)
    return text


def _values(bundle: registry.Bundle, fmt: formats.Format, input_name: str) -> dict[str, str]:
    card = bundle.card
    style = card.get("preprocess", "mnist")
    values = {
        "NAME": bundle.name, "TITLE": bundle.title, "FORMAT": fmt.title, "MODEL_FILE": fmt.model_file,
        "CLASS_COUNT": str(len(card["classes"])), "STYLE": style, "STYLE_TEXT": STYLE_TEXT.get(style, STYLE_TEXT["mnist"]),
        "DATASET": (card.get("data") or {}).get("trained_on") or card["dataset"], "RUNTIME": fmt.runtime,
        "ORT_WEB_VERSION": ORT_WEB_VERSION, "ORT_WEB_URL": ORT_WEB_URL, "INPUT_NAME": input_name,
        "EXTRA_FILES": "| `index.html` | a page to draw on: the model runs in the browser (below) |\n"
                       if fmt.name == "onnx" else "",
    }
    values["USE"] = _render(f"use_{fmt.name}.md", values)
    return values


def build_zip(name: str, format_name: str, progress: ProgressCallback = None) -> bytes:
    """The zip of bundle `name` in format `format_name` (keras, onnx, litert), as bytes. Raises ExportError
    with a sentence when that format cannot hold the model, BadModel when the bundle is not usable."""
    fmt = formats.get(format_name)
    bundle = registry.inspect(name)
    if not bundle.ok:
        raise BadModel(bundle.error)
    report = progress or (lambda done, total: None)
    report(0, STEPS)
    model = registry.load_model(name)
    report(1, STEPS)
    folder = f"{name}-{fmt.name}"
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="hwlab-export-") as tmp:
        target = Path(tmp) / fmt.model_file
        formats.convert(model, fmt, bundle.path / "model.keras", target)
        report(2, STEPS)
        values = _values(bundle, fmt, model.inputs[0].name)
        files = {
            "README.md": _render("README.md", values),
            "labels.txt": "".join(f"{c}\n" for c in bundle.card["classes"]),
            "preprocess.py": _render("preprocess.py", values),
            "predict.py": _render(fmt.example, values),
        }
        if fmt.name == "onnx":
            files["index.html"] = _render("index.html", values)
        report(3, STEPS)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(target, f"{folder}/{fmt.model_file}")
            for file_name, text in files.items():
                entry = zipfile.ZipInfo(f"{folder}/{file_name}", time.localtime()[:6])
                entry.external_attr = 0o644 << 16  # readable by all once unzipped (writestr's default is 0600)
                zf.writestr(entry, text, zipfile.ZIP_DEFLATED)
    report(STEPS, STEPS)
    return buffer.getvalue()


def write_zip(name: str, format_name: str, out: Path, progress: ProgressCallback = None) -> dict:
    """build_zip written to `out` atomically (a failed export leaves what was there); what the CLI prints."""
    out = Path(out)
    if out.suffix.lower() != ".zip":
        raise ExportError(f"{out} should end in .zip: the export is a zip file.")
    if not out.parent.is_dir():
        raise ExportError(f"The folder {out.parent} does not exist.")
    data = build_zip(name, format_name, progress)
    atomic.write_bytes(out, data)
    return {"model": name, "format": format_name, "out": str(out), "bytes": len(data)}
