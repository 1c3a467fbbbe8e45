"""The pictures a drawing keeps: a small PNG of what was drawn, and its 28x28 input as a PNG."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

THUMB = 140  # px, the longer side of the stored drawing (the canvas is 280)


def thumbnail_png(img: np.ndarray) -> bytes:
    """An RGBA or grey picture (a canvas, an upload) as a small PNG, its longer side at most 140 px."""
    im = Image.fromarray(np.asarray(img, np.uint8))
    im.thumbnail((THUMB, THUMB))
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def input_png(x28: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.asarray(x28, np.uint8).reshape(28, 28), "L").save(buf, format="PNG")
    return buf.getvalue()


def read_input_png(data: bytes) -> np.ndarray:
    """A stored 28x28 input PNG -> (28, 28) uint8; ValueError with a sentence for anything else. The size is
    checked from the header, before the picture is decoded."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.size != (28, 28):
                raise ValueError(f"a 28x28 input must be 28x28 pixels, not {im.size[0]}x{im.size[1]}")
            return np.asarray(im.convert("L"), np.uint8)
    except Image.DecompressionBombError:  # Pillow's own check, from the header: far larger than 28x28
        raise ValueError("a 28x28 input must be 28x28 pixels, not a picture too large to read") from None
    except UnidentifiedImageError:
        raise ValueError("a 28x28 input is not a PNG picture") from None
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"a 28x28 input is damaged ({exc})") from None
