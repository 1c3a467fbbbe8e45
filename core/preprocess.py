"""Canvas RGBA or uploaded picture -> model input, in the style of the data the model learned from.

One input convention for every model: float32 (N, 28, 28, 1) in [0, 1], white ink on black, upright.
- "mnist" style (LeCun's recipe): crop to the ink, fit the longer side into a 20x20 box keeping the
  aspect ratio, put the centre of mass at the centre of the 28x28 frame.
- "emnist" style (Cohen et al. 2017): blur, crop to the ink, centre the box in a square keeping the
  aspect ratio, 2 pixels of border, downsample to 28x28.
The canvas and uploads go through the same code, so what is shown is exactly what the model sees.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from .errors import BadImage

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # our own limit, below Streamlit's server.maxUploadSize
MAX_PIXELS = 40_000_000  # refuse bigger pictures before decoding them (decompression bombs)
MIN_SIDE = 8
INK_THRESHOLD = 0.1  # ink below this (after normalisation) counts as background
STYLES = ("mnist", "emnist")


@dataclass
class Prepared:
    """What the model will see, with what a page needs to decide whether to show a prediction."""
    x: Optional[np.ndarray]  # (1, 28, 28, 1) float32, or None when there is no ink at all
    ink: np.ndarray  # the normalised full-size ink map, white on black
    extent: float  # longer side of the ink's box / longer side of the picture
    coverage: float  # fraction of the picture's pixels that are ink
    inverted: bool  # dark ink on light paper was detected and inverted

    @property
    def warning(self) -> Optional[str]:
        if self.x is None:
            return None
        if self.extent < 0.08:
            return "That is very small: draw the character larger for a reliable answer."
        if self.coverage > 0.45:
            return "The picture is mostly ink: this does not look like a single character."
        return None


# ---------------------------------------------------------------- reading pictures
def read_image(data: bytes, name: str = "picture") -> np.ndarray:
    """Decode an uploaded picture into an RGBA uint8 array, or raise BadImage with a sentence."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadImage(f"{name} is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise BadImage(f"{name} is empty.")
    try:
        with Image.open(io.BytesIO(data)) as im:  # lazy: reads the header only
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise BadImage(f"{name} is {w}x{h} pixels: too large to read (limit {MAX_PIXELS // 1_000_000} "
                               f"megapixels). Scale it down first.")
            if min(w, h) < MIN_SIDE:
                raise BadImage(f"{name} is only {w}x{h} pixels: too small to hold a handwritten character.")
            frame = next(iter(ImageSequence.Iterator(im)))  # first frame of an animation
            return _to_rgba(frame)
    except BadImage:
        raise
    except Image.DecompressionBombError:
        raise BadImage(f"{name} is too large to read (limit {MAX_PIXELS // 1_000_000} megapixels). "
                       f"Scale it down first.") from None
    except UnidentifiedImageError:  # Pillow's own text names a memory address: no use to a reader
        raise BadImage(f"{name} is not a picture we can read (PNG, JPEG, GIF, BMP, WebP, TIFF).") from None
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt files
        raise BadImage(f"{name} is damaged or truncated and cannot be read: {exc}") from None


def _to_rgba(im: Image.Image) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit or 32-bit grey: scale to 8 bits
        a = np.asarray(im, dtype=np.float64)
        a = (255 * a / max(a.max(), 1)).astype(np.uint8)
        im = Image.fromarray(a, "L")
    elif im.mode == "F":
        a = np.asarray(im, dtype=np.float64)
        a = (255 * (a - a.min()) / max(np.ptp(a), 1e-9)).astype(np.uint8)
        im = Image.fromarray(a, "L")
    return np.asarray(im.convert("RGBA"), dtype=np.uint8).copy()


# ---------------------------------------------------------------- ink
def ink_map(img: np.ndarray) -> tuple[np.ndarray, bool]:
    """Any picture (H,W), (H,W,3) or (H,W,4), uint8 or float -> (ink in [0,1] white on black, inverted?)."""
    a = np.asarray(img)
    if a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] in (3, 4) and (a.shape[2] == 3 or a[..., 3].min() >= 250):
        # An opaque colour picture (every canvas): grey in uint8 first, which moves a fifth of the memory
        # of a float RGBA copy and leaves the model's weights in the cache (benchmarks/latency.py).
        code = cv2.COLOR_RGB2GRAY if a.shape[2] == 3 else cv2.COLOR_RGBA2GRAY
        grey = cv2.cvtColor(np.ascontiguousarray(a), code).astype(np.float32) * np.float32(1 / 255)
        return _normalise(grey)
    a = a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else a.astype(np.float32)
    if a.ndim == 3:
        rgb = a[..., :3] if a.shape[2] >= 3 else np.repeat(a[..., :1], 3, axis=2)
        grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
        if a.shape[2] == 4 and a[..., 3].min() < 0.98:  # transparency: lay it on a contrasting backdrop
            alpha = a[..., 3]
            opaque = grey[alpha > 0.5]
            backdrop = 1.0 if opaque.size and opaque.mean() < 0.5 else 0.0
            grey = grey * alpha + backdrop * (1 - alpha)
    else:
        grey = a
    return _normalise(grey)


def _normalise(grey: np.ndarray) -> tuple[np.ndarray, bool]:
    """Grey picture in [0, 1] -> (ink in [0, 1] white on black, inverted?), the paper's level at 0.
    `grey` must be a fresh float32 array: it is rescaled in place (a drawing costs a few copies less)."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    inverted = bool(np.median(border) > 0.5)  # light paper: dark ink
    ink = 1.0 - grey if inverted else grey
    lo = float(np.median(1.0 - border if inverted else border))  # background level: the paper at the edges
    hi = float(ink.max())
    if hi - lo < 0.15:  # no contrast at all: nothing drawn
        return np.zeros_like(ink), inverted
    ink -= np.float32(lo)
    ink *= np.float32(1.0 / (hi - lo))
    np.clip(ink, 0.0, 1.0, out=ink)
    ink[ink < INK_THRESHOLD] = 0.0
    return ink, inverted


def _box(ink: np.ndarray, threshold: float):
    rows = np.flatnonzero(ink.max(axis=1) > threshold)
    cols = np.flatnonzero(ink.max(axis=0) > threshold)
    if rows.size == 0:
        return None
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def _resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    interp = cv2.INTER_AREA if w <= a.shape[1] and h <= a.shape[0] else cv2.INTER_CUBIC
    return np.clip(cv2.resize(a, (w, h), interpolation=interp), 0.0, 1.0)


def _mnist_frame(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape
    s = 20.0 / max(h, w)
    nh, nw = max(1, int(round(h * s))), max(1, int(round(w * s)))
    small = _resize(crop, nw, nh)
    out = np.zeros((28, 28), np.float32)
    top, left = (28 - nh) // 2, (28 - nw) // 2
    out[top:top + nh, left:left + nw] = small
    m = cv2.moments(out)
    if m["m00"] > 0:
        cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]  # the centre of mass
        m = np.float32([[1, 0, 13.5 - cx], [0, 1, 13.5 - cy]])
        out = cv2.warpAffine(out, m, (28, 28), flags=cv2.INTER_LINEAR, borderValue=0.0)
    return out


def _emnist_frame(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape
    side = max(h, w)
    sq = np.zeros((side, side), np.float32)
    sq[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = crop
    sigma = side / 96.0  # NIST's 128x128 frames, blurred with sigma 1, hold glyphs of about this size
    if sigma > 0.3:
        sq = cv2.GaussianBlur(sq, (0, 0), sigma)
    out = np.zeros((28, 28), np.float32)
    out[2:26, 2:26] = _resize(sq, 24, 24)
    if out.max() > 0:
        out /= out.max()
    return out


def to_model_input(img: np.ndarray, style: str = "mnist", threshold: float = INK_THRESHOLD) -> Optional[np.ndarray]:
    """Shortcut for prepare(...).x."""
    return prepare(img, style, threshold).x


def prepare(img: np.ndarray, style: str = "mnist", threshold: float = INK_THRESHOLD) -> Prepared:
    """Canvas RGBA, upload or any grey picture -> what the model sees (None when nothing is drawn)."""
    if style not in STYLES:
        raise ValueError(f"unknown preprocessing style {style!r}")
    ink, inverted = ink_map(img)
    box = _box(ink, threshold)
    if box is None:
        return Prepared(None, ink, 0.0, 0.0, inverted)
    r0, r1, c0, c1 = box
    crop = ink[r0:r1, c0:c1]
    frame = _mnist_frame(crop) if style == "mnist" else _emnist_frame(crop)
    extent = max(r1 - r0, c1 - c0) / max(ink.shape)
    coverage = np.count_nonzero(ink > 0.5) / ink.size
    return Prepared(frame[None, :, :, None].astype(np.float32), ink, float(extent), coverage, inverted)


def naive_input(img: np.ndarray) -> Optional[np.ndarray]:
    """The baseline the benchmark compares with: the whole picture resized to 28x28, nothing else."""
    ink, _ = ink_map(img)
    if ink.max() <= 0:
        return None
    return _resize(ink, 28, 28)[None, :, :, None].astype(np.float32)
