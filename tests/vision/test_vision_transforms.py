"""abinitio.vision.transforms against hand-computed values (torchvision cannot be installed
beside this CPU build of torch 2.13: its PyPI wheel needs the CUDA build's operators)."""

import numpy as np
import pytest
from helpers import require

import abinitio as ab
from abinitio.vision import transforms as T

Image = require("PIL.Image")


def grey(height, width):
    return Image.fromarray(np.arange(height * width, dtype=np.uint8).reshape(height, width))


def test_to_tensor_divides_8_bit_images_by_255_and_moves_channels_first():
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)  # (H, W, C)
    x = T.ToTensor()(Image.fromarray(rgb))
    assert x.shape == (3, 2, 3) and x.dtype == np.float32
    np.testing.assert_allclose(x.numpy(), rgb.transpose(2, 0, 1) / 255, rtol=1e-6)
    np.testing.assert_allclose(T.ToTensor()(rgb).numpy(), rgb.transpose(2, 0, 1) / 255,
                               rtol=1e-6)  # fmt: skip


def test_to_tensor_keeps_float_arrays_unscaled():
    array = np.linspace(0, 3, 12, dtype=np.float32).reshape(2, 2, 3)
    np.testing.assert_array_equal(T.ToTensor()(array).numpy(), array.transpose(2, 0, 1))


def test_normalize_per_channel_on_images_and_batches():
    x = ab.tensor(np.stack([np.full((2, 2), 0.5), np.full((2, 2), 1.0)]).astype(np.float32))
    y = T.Normalize([0.5, 0.25], [0.5, 0.25])(x)
    np.testing.assert_allclose(y.numpy()[:, 0, 0], [0.0, 3.0])
    batch = ab.ones(4, 2, 3, 3)
    assert T.Normalize((1.0, 0.0), (2.0, 4.0))(batch).numpy()[:, 1].max() == 0.25
    same = T.Normalize([1.0], [2.0], inplace=True)
    assert same(batch) is batch and batch.numpy()[0, 0, 0, 0] == 0.0


def test_normalize_wants_a_float_tensor_with_matching_channels():
    with pytest.raises(TypeError, match="use ToTensor first"):
        T.Normalize([0.5], [0.5])(grey(2, 2))
    with pytest.raises(ValueError, match="2 channel statistics for an image with 3 channels"):
        T.Normalize([0.5, 0.5], [1, 1])(ab.zeros(3, 2, 2))


def test_resize_int_matches_the_shorter_side_and_keeps_the_aspect():
    assert T.Resize(4)(grey(8, 20)).size == (10, 4)  # PIL size is (width, height)
    assert T.Resize(4)(grey(20, 8)).size == (4, 10)
    assert T.Resize(5)(grey(6, 9)).size == (7, 5)  # int(5 * 9 / 6) = 7
    assert T.Resize((3, 5))(grey(8, 8)).size == (5, 3)
    assert T.Resize(10, max_size=12)(grey(10, 20)).size == (12, 6)


def test_resize_of_a_constant_image_stays_constant_and_tensors_resize_per_channel():
    image = Image.fromarray(np.full((6, 6), 200, dtype=np.uint8))
    np.testing.assert_array_equal(np.asarray(T.Resize(3)(image)), 200)
    x = ab.tensor(np.stack([np.full((6, 4), 1.0), np.full((6, 4), -2.0)]).astype(np.float32))
    y = T.Resize((3, 2))(x)
    assert y.shape == (2, 3, 2)
    np.testing.assert_allclose(y.numpy()[0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(y.numpy()[1], -2.0, rtol=1e-6)


def test_random_crop_pads_with_fill_and_cuts_a_window_of_the_padded_image():
    image = grey(4, 4)
    padded = np.pad(np.asarray(image), 2, constant_values=7)
    ab.manual_seed(3)
    crops = [np.asarray(T.RandomCrop(4, padding=2, fill=7)(image)) for _ in range(30)]
    windows = {(i, j) for i in range(5) for j in range(5)}
    found = set()
    for crop in crops:
        matches = [(i, j) for i, j in windows if np.array_equal(padded[i:i + 4, j:j + 4], crop)]
        assert matches, "every crop is a window of the padded image"
        found |= set(matches)
    assert len(found) > 5, "positions vary"


def test_random_crop_padding_forms_pad_if_needed_and_tensors():
    crop = T.RandomCrop((2, 3), padding=(1, 0, 2, 0))  # left 1, right 2: width 4 -> 7
    assert T.RandomCrop((2, 7), padding=(1, 0, 2, 0))(grey(2, 4)).size == (7, 2)
    assert crop(grey(2, 4)).size == (3, 2)
    assert T.RandomCrop(6, pad_if_needed=True)(grey(3, 4)).size == (6, 6)
    x = ab.arange(16.0).reshape(1, 4, 4)
    out = T.RandomCrop(4, padding=1)(x)
    assert out.shape == (1, 4, 4)
    with pytest.raises(ValueError, match="smaller than the crop 5x5"):
        T.RandomCrop(5)(grey(4, 4))


def test_random_crop_repeats_with_the_seed():
    image = grey(8, 8)
    ab.manual_seed(11)
    first = [np.asarray(T.RandomCrop(5)(image)) for _ in range(3)]
    ab.manual_seed(11)
    again = [np.asarray(T.RandomCrop(5)(image)) for _ in range(3)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


def test_horizontal_flip_mirrors_images_and_tensors():
    image = grey(2, 3)
    np.testing.assert_array_equal(np.asarray(T.RandomHorizontalFlip(1.0)(image)),
                                  np.asarray(image)[:, ::-1])  # fmt: skip
    assert T.RandomHorizontalFlip(0.0)(image) is image
    x = ab.arange(6.0).reshape(1, 2, 3)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1)(x).numpy(), [[[2, 1, 0], [5, 4, 3]]])


def test_compose_and_lambda_chain_in_order():
    pipeline = T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2), T.Normalize([1.0], [1.0])])
    image = Image.fromarray(np.full((2, 2), 255, dtype=np.uint8))
    np.testing.assert_allclose(pipeline(image).numpy(), 1.0)
    with pytest.raises(TypeError, match="expected a callable, got int"):
        T.Lambda(3)


def test_center_crop_takes_the_rounded_middle_and_pads_small_images():
    image = grey(5, 6)  # values 0..29, row-major
    crop = np.asarray(T.CenterCrop((3, 2))(image))
    np.testing.assert_array_equal(crop, np.asarray(image)[1:4, 2:4])  # round(1.0), round(2.0)
    assert T.CenterCrop(4)(grey(5, 5)).size == (4, 4)  # top = round(0.5) = 0, Python's rule
    np.testing.assert_array_equal(np.asarray(T.CenterCrop(4)(grey(5, 5))),
                                  np.asarray(grey(5, 5))[:4, :4])  # fmt: skip
    padded = T.CenterCrop(4)(ab.ones(1, 2, 2)).numpy()[0]
    np.testing.assert_array_equal(padded, np.pad(np.ones((2, 2)), 1))
