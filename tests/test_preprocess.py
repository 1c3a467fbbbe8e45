"""Canvas and upload preprocessing: MNIST-style framing, blank and tiny inputs, and every kind of bad upload."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from core.errors import BadImage
from core.model.preprocess import MAX_UPLOAD_BYTES, naive_input, prepare, read_image
from helpers import canvas_with_lines, png_bytes

SEVEN = [[(0.0, 0.0), (1.0, 0.0), (0.35, 1.4)]]  # a "7" in unit coordinates


def seven(scale, ox, oy, width=18):
    return canvas_with_lines([[(ox + x * scale, oy + y * scale) for x, y in line] for line in SEVEN], width=width)


def test_small_off_centre_and_large_centred_digit_look_the_same():
    small = prepare(seven(40, 20, 20, width=6)).x
    large = prepare(seven(130, 75, 40, width=18)).x
    assert small.shape == large.shape == (1, 28, 28, 1) and small.dtype == np.float32
    corr = np.corrcoef(small.ravel(), large.ravel())[0, 1]
    assert corr > 0.9, corr
    # the naive resize of the whole canvas does not have that property
    naive_corr = np.corrcoef(naive_input(seven(40, 20, 20, 6)).ravel(), naive_input(seven(130, 75, 40)).ravel())[0, 1]
    assert naive_corr < 0.5


def test_mnist_framing_box_and_centre_of_mass():
    x = prepare(seven(130, 75, 40)).x[0, ..., 0]
    rows, cols = np.flatnonzero(x.max(1) > 0.05), np.flatnonzero(x.max(0) > 0.05)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 22  # fitted into 20x20 (+ blur of the shift)
    yy, xx = np.mgrid[0:28, 0:28]
    cy, cx = (yy * x).sum() / x.sum(), (xx * x).sum() / x.sum()
    assert abs(cy - 13.5) < 0.6 and abs(cx - 13.5) < 0.6
    assert 0.8 <= x.max() <= 1.0 and x.min() >= 0.0


def test_emnist_style_fills_the_frame_with_a_border():
    x = prepare(seven(130, 75, 40), "emnist").x[0, ..., 0]
    assert x[:2].max() < 0.05 and x[-2:].max() < 0.05  # 2-pixel border
    rows = np.flatnonzero(x.max(1) > 0.1)
    assert rows[-1] - rows[0] >= 20  # the longer side fills about 24 pixels


def test_empty_canvas_gives_no_input():
    blank = canvas_with_lines([])
    p = prepare(blank)
    assert p.x is None and p.warning is None


def test_single_dot_warns():
    p = prepare(canvas_with_lines([[(140, 140)]], width=10))
    assert p.x is not None and p.warning and "small" in p.warning


def test_canvas_scribbled_full_gives_a_warning_or_an_invitation():
    lines = [[(0, y), (280, y)] for y in range(0, 281, 12)]
    p = prepare(canvas_with_lines(lines, width=14))
    assert p.x is None or (p.warning and "mostly ink" in p.warning)
    lines = [[(20, y), (260, y)] for y in range(20, 261, 16)]  # ink everywhere but the border
    p = prepare(canvas_with_lines(lines, width=12))
    assert p.x is not None and p.warning and "mostly ink" in p.warning


def test_dark_ink_on_light_paper_is_inverted():
    white_on_black = prepare(seven(130, 75, 40)).x
    photo = canvas_with_lines([[(75 + x * 130, 40 + y * 130) for x, y in SEVEN[0]]], ink=30, paper=225)
    noisy = np.clip(photo[..., :3].astype(int) + np.random.default_rng(0).integers(-12, 12, photo[..., :3].shape), 0, 255)
    up = read_image(png_bytes(noisy.astype(np.uint8)), "photo.png")
    p = prepare(up)
    assert p.inverted
    assert np.corrcoef(p.x.ravel(), white_on_black.ravel())[0, 1] > 0.95


# ---------------------------------------------------------------- uploads that must be refused or repaired
def test_text_file_renamed_png():
    with pytest.raises(BadImage, match="not a picture"):
        read_image(b"hello, I am not a picture\n" * 10, "notes.png")


def test_truncated_png():
    data = png_bytes(seven(130, 75, 40)[..., 0])
    with pytest.raises(BadImage, match="damaged or truncated"):
        read_image(data[: len(data) // 2], "cut.png")


def _png_header_only(w, h) -> bytes:
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(BadImage, match="too large"):
        read_image(_png_header_only(30000, 30000), "bomb.png")


def test_one_pixel_image():
    with pytest.raises(BadImage, match="too small"):
        read_image(png_bytes(np.zeros((1, 1), np.uint8)), "dot.png")


def test_upload_over_the_limit():
    with pytest.raises(BadImage, match="limit"):
        read_image(b"\x89PNG" + b"\x00" * (MAX_UPLOAD_BYTES + 1), "huge.png")


def test_empty_upload():
    with pytest.raises(BadImage, match="empty"):
        read_image(b"", "nothing.png")


def test_animated_gif_uses_first_frame():
    first = Image.fromarray(seven(130, 75, 40)[..., 0]).convert("P")
    second = Image.new("P", (280, 280), 0)
    buf = io.BytesIO()
    first.save(buf, format="GIF", save_all=True, append_images=[second], duration=100, loop=0)
    p = prepare(read_image(buf.getvalue(), "anim.gif"))
    assert p.x is not None  # the second frame is blank: only the first one has ink


@pytest.mark.parametrize("kind", ["16-bit", "palette", "cmyk", "transparent", "grey+alpha"])
def test_other_picture_modes(kind):
    ref = prepare(seven(130, 75, 40)).x
    grey = seven(130, 75, 40)[..., 0]
    if kind == "16-bit":
        data = _save(Image.fromarray(grey.astype(np.uint16) * 257), "PNG")
    elif kind == "palette":
        data = _save(Image.fromarray(grey).convert("P"), "PNG")
    elif kind == "cmyk":
        data = _save(Image.fromarray(255 - grey).convert("CMYK"), "JPEG", quality=95)
    elif kind == "transparent":  # black ink on a transparent background
        rgba = np.zeros((280, 280, 4), np.uint8)
        rgba[..., 3] = grey
        data = png_bytes(rgba, "RGBA")
    else:
        data = _save(Image.fromarray(np.dstack([grey, np.full_like(grey, 255)]), "LA"), "PNG")
    p = prepare(read_image(data, f"{kind}.png"))
    assert p.x is not None
    assert np.corrcoef(p.x.ravel(), ref.ravel())[0, 1] > 0.95, kind


def _save(im, fmt, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_the_fast_path_for_opaque_canvases_matches_the_general_one():
    # An opaque uint8 RGBA canvas goes through OpenCV's grey conversion; the same picture as floats takes the
    # general path. What the model sees must be the same.
    canvas = seven(120, 60, 40)
    canvas[..., :3] = (canvas[..., :3] * np.array([1.0, 0.9, 0.8])).astype(np.uint8)  # tinted ink
    fast, general = prepare(canvas), prepare(canvas.astype(np.float32) / 255.0)
    assert fast.x is not None and np.abs(fast.x - general.x).max() < 0.01
    assert fast.inverted == general.inverted and abs(fast.coverage - general.coverage) < 1e-3


def _photo_of_a_seven(shadow: bool) -> np.ndarray:
    """A phone photo of a dark 7 on white paper, 400x300; with `shadow`, the paper darkens towards one corner
    (a hand's or the phone's shadow) down to a grey darker than the paper's mid-tones."""
    ink = seven(120, 80, 70, width=14)[..., 0].astype(np.float32) / 255  # white on black, 280x280
    page = np.zeros((300, 400), np.float32)
    page[10:290, 10:290] = ink
    paper = np.full((300, 400), 235.0, np.float32)
    if shadow:
        yy, xx = np.mgrid[0:300, 0:400]
        paper -= 150 * np.clip(((xx - 220) / 180 + (yy - 150) / 150) / 1.4, 0, 1)  # 85 in the far corner
    grey = paper * (1 - page) + 40 * page
    rgb = np.repeat(np.clip(grey, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    return read_image(png_bytes(rgb), "photo.png")


def test_a_shaded_photo_is_read_like_an_evenly_lit_one():
    """Uneven light: the shadowed corner of the paper is paper, not ink (the paper's level is estimated across
    the picture before the ink is thresholded)."""
    even, shaded = prepare(_photo_of_a_seven(False)), prepare(_photo_of_a_seven(True))
    assert even.inverted and shaded.inverted
    corr = np.corrcoef(even.x.ravel(), shaded.x.ravel())[0, 1]
    assert corr > 0.9, corr
