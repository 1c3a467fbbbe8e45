"""A picture -> the model's input: float32 (1, 28, 28, 1) in [0, 1], white ink on black, framed like the
data the model learned from. Needs numpy and Pillow only.

    from preprocess import load_input
    x = load_input("my_digit.png")   # None when the picture has no ink

Styles (STYLE below is the one this model learned from):
  "mnist"  (LeCun's recipe): crop to the ink, fit the longer side into 20x20 keeping the aspect ratio,
           move the centre of mass to the centre of the 28x28 frame.
  "emnist" (Cohen et al. 2017): crop to the ink, centre it in a square, blur a little, shrink to 24x24
           inside a 2-pixel border, scale the brightest pixel to 1.
Dark ink on light paper (a pen on paper, a scan) is inverted first; the paper's level is read from the
picture's border. These are Handwriting Lab's own steps (which use OpenCV), written again with numpy and
Pillow only; its tests check that both frame a picture alike."""
from __future__ import annotations

import sys

import numpy as np
from PIL import Image

STYLE = "{{STYLE}}"
INK_THRESHOLD = 0.1  # fainter than this (after normalising) counts as paper


def grey(picture: Image.Image) -> np.ndarray:
    """Any picture -> grey float32 in [0, 1]; transparency is laid on a backdrop that contrasts with the ink."""
    rgba = np.asarray(picture.convert("RGBA"), np.float32) / 255.0
    g = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    alpha = rgba[..., 3]
    if alpha.min() < 0.98:
        opaque = g[alpha > 0.5]
        backdrop = 1.0 if opaque.size and opaque.mean() < 0.5 else 0.0
        g = g * alpha + backdrop * (1 - alpha)
    return g


def ink(g: np.ndarray) -> np.ndarray | None:
    """Grey picture -> ink in [0, 1], white on black, the paper at 0 (None when nothing is drawn)."""
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    if np.median(border) > 0.5:  # light paper: dark ink
        g, border = 1.0 - g, 1.0 - border
    lo, hi = float(np.median(border)), float(g.max())
    if hi - lo < 0.15:
        return None
    a = np.clip((g - lo) / (hi - lo), 0.0, 1.0)
    a[a < INK_THRESHOLD] = 0.0
    return a


def _resize(a: np.ndarray, w: int, h: int) -> np.ndarray:
    shrink = w <= a.shape[1] and h <= a.shape[0]
    im = Image.fromarray(a.astype(np.float32), "F").resize((w, h), Image.BOX if shrink else Image.BICUBIC)
    return np.clip(np.asarray(im, np.float32), 0.0, 1.0)


def _shift(a: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """a moved by (dx, dy) pixels, bilinear, zeros coming in."""
    im = Image.fromarray(a, "F").transform(a.shape[::-1], Image.AFFINE, (1, 0, -dx, 0, 1, -dy), Image.BILINEAR)
    return np.asarray(im, np.float32)


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur, rows then columns, zeros beyond the edge."""
    r = int(np.ceil(3 * sigma))
    k = np.exp(-np.arange(-r, r + 1) ** 2 / (2 * sigma * sigma))
    k /= k.sum()
    a = np.apply_along_axis(np.convolve, 1, a, k, mode="same")
    return np.apply_along_axis(np.convolve, 0, a, k, mode="same").astype(np.float32)


def mnist_frame(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape
    s = 20.0 / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    out = np.zeros((28, 28), np.float32)
    top, left = (28 - nh) // 2, (28 - nw) // 2
    out[top:top + nh, left:left + nw] = _resize(crop, nw, nh)
    total = out.sum()
    if total > 0:
        rows, cols = np.indices(out.shape)
        cy, cx = (rows * out).sum() / total, (cols * out).sum() / total  # the centre of mass
        out = _shift(out, 13.5 - cx, 13.5 - cy)
    return out


def emnist_frame(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape
    side = max(h, w)
    square = np.zeros((side, side), np.float32)
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = crop
    sigma = side / 96.0
    if sigma > 0.3:
        square = _blur(square, sigma)
    out = np.zeros((28, 28), np.float32)
    out[2:26, 2:26] = _resize(square, 24, 24)
    return out / out.max() if out.max() > 0 else out


def to_input(picture: Image.Image, style: str = STYLE) -> np.ndarray | None:
    """A Pillow picture -> float32 (1, 28, 28, 1), or None when it holds no ink."""
    a = ink(grey(picture))
    if a is None:
        return None
    rows, cols = np.flatnonzero(a.max(axis=1) > INK_THRESHOLD), np.flatnonzero(a.max(axis=0) > INK_THRESHOLD)
    if rows.size == 0:
        return None
    crop = a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    frame = mnist_frame(crop) if style == "mnist" else emnist_frame(crop)
    return frame.reshape(1, 28, 28, 1).astype(np.float32)


def load_input(path: str, style: str = STYLE) -> np.ndarray | None:
    with Image.open(path) as picture:
        return to_input(picture, style)


def load_labels(path: str = "labels.txt") -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def read_pictures(probabilities_of, labels_path: str = "labels.txt") -> None:
    """What each example runs: for every picture named on the command line, the model's label and its
    probability. probabilities_of: float32 (1, 28, 28, 1) -> the model's probabilities, one per label."""
    labels = load_labels(labels_path)
    if len(sys.argv) < 2:
        sys.exit("usage: python predict.py PICTURE [PICTURE ...]")
    for path in sys.argv[1:]:
        x = load_input(path)
        if x is None:
            sys.exit(f"{path}: no ink found (a blank picture)")
        probabilities = np.asarray(probabilities_of(x)).reshape(-1)
        best = int(probabilities.argmax())
        print(f"{path}: {labels[best]} ({probabilities[best]:.1%})")
