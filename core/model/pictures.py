"""Pictures made of arrays, for every page that shows one: SHAP maps and weights on red/white/blue scales,
feature maps on viridis, images laid out as tiles and grids, and the 28x28 input enlarged pixel by pixel.
numpy (and PIL for the finished images) only; no Streamlit."""
from __future__ import annotations

import numpy as np
from PIL import Image

from .input import to_float

GRID_COLUMNS = 8
GRID_MAPS = 64  # feature maps shown per layer: an 8x8 grid

# The ends of ColorBrewer's RdBu, a diverging scale that readers with any common colour-vision deficiency tell
# apart (shap's own pink-red and light blue are close for some of them); white in the middle.
RED = np.array([0xb2, 0x18, 0x2b], np.float32) / 255  # supports the class ("for")
BLUE = np.array([0x21, 0x66, 0xac], np.float32) / 255  # opposes it ("against")


def hex_colour(rgb: np.ndarray) -> str:
    return "#" + "".join(f"{round(float(c) * 255):02x}" for c in rgb)


def attribution_rgb(x28: np.ndarray, values: np.ndarray, vmax: float, scale: int = 8) -> np.ndarray:
    """The input in light grey on white with the attributions over it, red for positive and blue for
    negative, opacity |value|/vmax on a symmetric scale; uint8 (28*scale, 28*scale, 3)."""
    ink = np.clip(np.asarray(x28, np.float32).reshape(28, 28), 0, 1)
    base = np.repeat((1.0 - 0.35 * ink)[..., None], 3, axis=2)
    t = np.clip(np.asarray(values, np.float32).reshape(28, 28) / max(vmax, 1e-12), -1, 1)
    color = np.where(t[..., None] >= 0, RED, BLUE)
    alpha = np.abs(t)[..., None]
    rgb = base * (1 - alpha) + color * alpha
    img = (rgb * 255).round().astype(np.uint8)
    img = np.kron(img, np.ones((scale, scale, 1), np.uint8)) if scale > 1 else img
    img[[0, -1], :] = img[:, [0, -1]] = 200  # a thin grey frame: the picture's edge on white paper
    return img


def diverging_rgb(a: np.ndarray, scale: int = 4) -> np.ndarray:
    """A weight map on a symmetric red/white/blue scale; uint8 (H*scale, W*scale, 3)."""
    a = np.asarray(a, np.float32)
    m = float(np.abs(a).max()) or 1.0
    t = np.clip(a / m, -1, 1)[..., None]
    rgb = np.where(t >= 0, 1 - t * (1 - RED), 1 + t * (1 - BLUE))
    img = (rgb * 255).round().astype(np.uint8)
    return np.kron(img, np.ones((scale, scale, 1), np.uint8)) if scale > 1 else img


def tiles(images: np.ndarray, cols: int, pad: int = 2, value: float = 1.0) -> np.ndarray:
    """Images (N,h,w[,3]) as one grid, `cols` a row, separated by `pad` pixels of `value`."""
    images = np.asarray(images)
    n, h, w = images.shape[:3]
    rows = max(1, -(-n // cols))
    shape = (rows * (h + pad) - pad, cols * (w + pad) - pad) + images.shape[3:]
    grid = np.full(shape, value, images.dtype)
    for k in range(n):
        r, q = divmod(k, cols)
        grid[r * (h + pad):r * (h + pad) + h, q * (w + pad):q * (w + pad) + w] = images[k]
    return grid



def feature_grid(maps: np.ndarray, cols: int = GRID_COLUMNS, max_maps: int = GRID_MAPS, pad: int = 1) -> np.ndarray:
    """Feature maps (H,W,C) laid out as a grid (first max_maps, `cols` a row), each map scaled to
    [0,1] by its own largest value (a map that stays 0 is black); float32 2-D, padding 0."""
    m = np.asarray(maps, np.float32)
    if m.ndim == 2:
        m = m[..., None]
    h, w, c = m.shape
    c = min(c, max_maps)
    rows = -(-c // cols)
    ncols = min(cols, c)
    grid = np.zeros((rows * (h + pad) - pad, ncols * (w + pad) - pad), np.float32)
    for k in range(c):
        a = m[..., k]
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        r, q = divmod(k, ncols)
        grid[r * (h + pad):r * (h + pad) + h, q * (w + pad):q * (w + pad) + w] = a
    return grid


# A few anchors of viridis, for feature maps (dark: quiet, yellow: active).
VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], np.float32)


def viridis(a: np.ndarray) -> np.ndarray:
    """Values in [0,1] as viridis colours, uint8 (..., 3)."""
    t = np.clip(a, 0, 1) * (len(VIRIDIS) - 1)
    i = np.minimum(t.astype(int), len(VIRIDIS) - 2)
    f = (t - i)[..., None]
    return (VIRIDIS[i] * (1 - f) + VIRIDIS[i + 1] * f).astype(np.uint8)


def feature_grid_picture(values: np.ndarray, width: int = 264) -> Image.Image:
    """Feature maps (H,W,C) as a viridis grid with white lines between maps, enlarged to about `width`."""
    grid = feature_grid(values, pad=1)
    pad = np.zeros_like(grid, bool)
    h, w, _ = values.shape
    pad[h::h + 1, :] = True
    pad[:, w::w + 1] = True
    rgb = viridis(grid)
    rgb[pad] = 255
    im = Image.fromarray(rgb)
    scale = max(1, width // im.width)
    return im.resize((im.width * scale, im.height * scale), Image.NEAREST)


def pixels(x28: np.ndarray, scale: int = 8, grid: bool = True) -> Image.Image:
    """The 28x28 input (in [0, 1], or a uint8 picture) enlarged, each pixel a visible square (thin grid lines
    between them)."""
    a = np.clip(to_float(x28).reshape(28, 28), 0, 1)
    big = np.kron((a * 255).astype(np.uint8), np.ones((scale, scale), np.uint8))
    if grid:
        big[::scale, :] = np.maximum(big[::scale, :], 40)
        big[:, ::scale] = np.maximum(big[:, ::scale], 40)
    return Image.fromarray(big, "L")
