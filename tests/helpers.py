"""Small picture factories and page openers shared by the tests."""
import io

import numpy as np
from PIL import Image, ImageDraw

from core.datasets.strokes import read_samples, render
from conftest import SHARED_DATA


def canvas_with_lines(lines, width=18, size=280, ink=255, paper=0) -> np.ndarray:
    """RGBA canvas (opaque) with polylines drawn in `ink` on `paper`."""
    im = Image.new("L", (size, size), paper)
    d = ImageDraw.Draw(im)
    for line in lines:
        d.line(line, fill=ink, width=width, joint="curve")
        for x, y in line:
            d.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=ink)
    a = np.asarray(im)
    return np.dstack([a, a, a, np.full_like(a, 255)])


def png_bytes(arr, mode=None, **save) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, format=save.pop("format", "PNG"), **save)
    return buf.getvalue()


def pen_digits(n_per_label: int = 1, labels="0123456789"):
    """[(label, RGBA canvas)] of real pen-drawn digits, rendered by the drawn-input protocol."""
    out, seen = [], {}
    for i, s in enumerate(read_samples(SHARED_DATA / "pen-strokes" / "pendigits-train-writers.jsonl.gz")):
        if s["label"] in labels and seen.get(s["label"], 0) < n_per_label:
            seen[s["label"]] = seen.get(s["label"], 0) + 1
            out.append((s["label"], render(s["strokes"], i)))
        if len(out) >= n_per_label * len(labels):
            break
    return out


def open_train_page():
    """The app opened in AppTest and switched to the Train page, with no exception on the way."""
    from streamlit.testing.v1 import AppTest

    from conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception, at.exception
    return at
