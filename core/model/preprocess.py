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

from ..errors import BadImage
from .input import PIXEL, to_float

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # our own limit, below Streamlit's server.maxUploadSize
MAX_PIXELS = 40_000_000  # refuse bigger pictures before decoding them (decompression bombs)
MIN_SIDE = 8
INK_THRESHOLD = 0.1  # ink below this (after normalisation) counts as background
STYLES = ("mnist", "emnist")


@dataclass
class Prepared:
    """What the model will see, with what a page needs to decide whether to show a prediction."""
    x: Optional[np.ndarray]  # (1, 28, 28, 1) float32, or None when there is no ink at all
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
def check_size(size: int, name: str = "picture") -> None:
    """BadImage when a picture of `size` bytes is over the 10 MB limit."""
    if size > MAX_UPLOAD_BYTES:
        raise BadImage(f"{name} is {size / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")


def read_upload(upload) -> np.ndarray:
    """A picture uploaded through st.file_uploader (an UploadedFile: name, size, getvalue) as read_image reads
    it, its size checked by the server before its bytes are copied or decoded: the uploader's own limit is only
    told to the browser, and a script can send anything up to server.maxUploadSize."""
    check_size(upload.size, upload.name)
    return read_image(upload.getvalue(), upload.name)


def read_image(data: bytes, name: str = "picture") -> np.ndarray:
    """Decode an uploaded picture into an RGBA uint8 array, or raise BadImage with a sentence."""
    check_size(len(data), name)
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
@dataclass
class _Ink:
    """A picture's ink before normalisation: `raw` (uint8 0..255 or float 0..1, white on black) and the
    levels that map it to [0, 1]. Only what is needed gets normalised: the ink's box, found from row and
    column maxima, and then its crop; a 280x280 canvas is never converted to floats whole."""
    raw: np.ndarray
    scale: float  # 255 for uint8, 1 for floats
    lo: float  # the paper's level, in [0, 1]
    hi: float  # the darkest ink's level, in [0, 1]
    inverted: bool  # dark ink on light paper was inverted

    @property
    def blank(self) -> bool:
        return self.hi - self.lo < 0.15  # no contrast at all: nothing drawn

    def normalised(self, values: np.ndarray) -> np.ndarray:
        """Raw values -> ink in [0, 1], the paper at 0 and faint specks (below INK_THRESHOLD) removed."""
        ink = values.astype(np.float32) * np.float32(1 / self.scale)
        ink -= np.float32(self.lo)
        ink *= np.float32(1.0 / (self.hi - self.lo))
        np.clip(ink, 0.0, 1.0, out=ink)
        ink[ink < INK_THRESHOLD] = 0.0
        return ink

    def box(self, threshold: float):
        """(r0, r1, c0, c1) of the ink above `threshold`, or None. Normalising is monotonic, so a row's
        normalised maximum is the normalised maximum of its raw values."""
        rows = np.flatnonzero(self.normalised(self.raw.max(axis=1)) > threshold)
        cols = np.flatnonzero(self.normalised(self.raw.max(axis=0)) > threshold)
        if rows.size == 0:
            return None
        return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def _ink(img: np.ndarray) -> _Ink:
    """Any picture (H,W), (H,W,3) or (H,W,4), uint8 or float -> its ink, white on black."""
    a = np.asarray(img)
    if a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] in (3, 4) and (a.shape[2] == 3 or a[..., 3].min() >= 250):
        # An opaque colour picture (every canvas): grey in uint8, a fifth of the memory of a float copy.
        code = cv2.COLOR_RGB2GRAY if a.shape[2] == 3 else cv2.COLOR_RGBA2GRAY
        return _levels(cv2.cvtColor(np.ascontiguousarray(a), code), 255.0)
    a = to_float(a)
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
    return _levels(grey, 1.0)


PHOTO_MIN_SIDE = 64  # px: smaller pictures are crops or scans, never flattened
UNEVEN_PAPER = 0.06  # the paper's level varying more than this (0..1) across the picture: flatten it first


def _paper_level(raw: np.ndarray, scale: float) -> np.ndarray:
    """The paper's own level under the ink (white ink on black, as float32): a median over windows wider than
    any stroke keeps the light (a shadow, a lamp's gradient) and drops the ink, which covers far less than half
    of a window; done on a copy at most 64 px wide (well under a millisecond), then brought back to full size."""
    h, w = raw.shape
    k = min(1.0, 64 / max(h, w))
    small = cv2.resize(raw.astype(np.float32), (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)
    small8 = np.clip(small * (255 / scale), 0, 255).astype(np.uint8)  # medianBlur's large windows need uint8
    level = cv2.medianBlur(small8, max(3, (min(small.shape) // 3) | 1)).astype(np.float32) * np.float32(scale * PIXEL)
    return cv2.resize(level, (w, h), interpolation=cv2.INTER_LINEAR)


def _levels(grey: np.ndarray, scale: float) -> _Ink:
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]]).astype(np.float32) / np.float32(scale)
    inverted = bool(np.median(border) > 0.5)  # light paper: dark ink
    raw = (scale - grey).astype(grey.dtype) if inverted else grey
    lo = float(np.median(1.0 - border if inverted else border))  # background level: the paper at the edges
    # A canvas or a scan has one flat level all round its edge: nothing to flatten (and a canvas drawn full of
    # ink must stay ink). A photo's edge varies; where its paper varies more than UNEVEN_PAPER, flatten it.
    # A tiny picture (scikit-learn's 8x8 digits, a 28x28 crop) is no photo: its ink may touch every edge.
    flat_edge = float(np.mean(np.abs(border - np.median(border)) < 2 * PIXEL)) > 0.9
    paper = None if flat_edge or min(grey.shape) < PHOTO_MIN_SIDE else _paper_level(raw, scale)
    if paper is not None and (float(paper.max()) - float(paper.min())) / scale > UNEVEN_PAPER:  # uneven light (photos): the ink is what stands above the paper where it lies
        raw = np.clip(raw.astype(np.float32) - paper, 0, scale).astype(grey.dtype)
        lo = 0.0
    return _Ink(raw, scale, lo, float(raw.max()) / scale, inverted)


def ink_map(img: np.ndarray) -> tuple[np.ndarray, bool]:
    """The whole picture's ink in [0, 1], white on black, and whether it was inverted."""
    ink = _ink(img)
    return (np.zeros(ink.raw.shape, np.float32) if ink.blank else ink.normalised(ink.raw)), ink.inverted


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
    ink = _ink(img)
    box = None if ink.blank else ink.box(threshold)
    if box is None:
        return Prepared(None, 0.0, 0.0, ink.inverted)
    r0, r1, c0, c1 = box
    crop = ink.normalised(ink.raw[r0:r1, c0:c1])
    frame = _mnist_frame(crop) if style == "mnist" else _emnist_frame(crop)
    extent = max(r1 - r0, c1 - c0) / max(ink.raw.shape)
    coverage = np.count_nonzero(crop > 0.5) / ink.raw.size  # outside the box, ink <= threshold (< 0.5)
    return Prepared(frame[None, :, :, None].astype(np.float32), float(extent), coverage, ink.inverted)


def naive_input(img: np.ndarray) -> Optional[np.ndarray]:
    """The baseline the benchmark compares with: the whole picture resized to 28x28, nothing else."""
    ink, _ = ink_map(img)
    if ink.max() <= 0:
        return None
    return _resize(ink, 28, 28)[None, :, :, None].astype(np.float32)
