"""core/model/input.py: the one conversion between stored uint8 pictures and the model's float32 input, and
the check of one picture's shape (a sentence, never a traceback)."""
import numpy as np
import pytest

from core.errors import BadImage
from core.model.input import PIXEL, from_uint8, one_image, to_float, to_uint8


def test_uint8_pictures_become_the_models_input_and_come_back_unchanged():
    pics = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    x = from_uint8(pics)
    assert x.shape == (5, 28, 28, 1) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert np.array_equal(x[..., 0], pics.astype(np.float32) / 255.0)  # the scaling every model was trained with
    assert from_uint8(pics[0]).shape == (1, 28, 28, 1)
    assert np.array_equal(to_uint8(x), pics) and np.array_equal(to_uint8(x[0]), pics[0])
    assert to_uint8(np.array([[-0.2, 1.7]])).tolist() == [[0, 255]]  # clipped, never wrapped round
    assert to_float(pics).dtype == np.float32 and to_float(x) is not x and PIXEL == pytest.approx(1 / 255)


def test_one_image_accepts_the_usual_shapes_and_refuses_others_with_a_sentence():
    for a in (np.zeros((28, 28)), np.zeros((28, 28, 1)), np.zeros((1, 28, 28)), np.zeros((1, 28, 28, 1))):
        x = one_image(a)
        assert x.shape == (1, 28, 28, 1) and x.dtype == np.float32
    assert one_image(np.full((28, 28), 255, np.uint8)).max() == pytest.approx(1.0)
    with pytest.raises(BadImage, match="one 28x28 image"):
        one_image(np.zeros((2, 28, 28)))
