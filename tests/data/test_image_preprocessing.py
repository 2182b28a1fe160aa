import numpy as np
import pytest

from tf_pixelcnn.data import image_preprocessing as pre


@pytest.mark.parametrize("num_levels", [2, 4, 16, 17, 256])
def test_quantize_uses_equal_bins_and_keeps_the_range(num_levels):
    values = np.arange(256, dtype=np.uint8)
    levels = pre.quantize(values, num_levels).numpy()
    assert levels.dtype == np.int32 and levels.min() == 0 and levels.max() == num_levels - 1
    np.testing.assert_array_equal(
        levels, np.floor(values.astype(int) * num_levels / 256).astype(int)
    )
    assert np.all(np.diff(levels) >= 0)


def test_quantize_keeps_values_when_the_levels_match_the_data():
    digits = np.arange(17)
    np.testing.assert_array_equal(pre.quantize(digits, 17, max_value=16).numpy(), digits)
    np.testing.assert_array_equal(pre.quantize([0, 1], 2, max_value=1).numpy(), [0, 1])


def test_grayscale_is_luma_and_passes_one_channel_through():
    image = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 10, 10]]], np.uint8)
    gray = pre.to_grayscale(image).numpy()
    np.testing.assert_allclose(gray[0, :, 0], [76.2, 149.7, 29.1, 10.0], atol=0.1)
    np.testing.assert_array_equal(pre.to_grayscale(gray).numpy(), gray)


def test_crop_then_resize_averages_areas():
    image = np.arange(6 * 8).reshape(6, 8, 1).astype(np.uint8)
    cropped = pre.crop_box(image, (1, 2, 4, 4)).numpy()
    np.testing.assert_array_equal(cropped, image[1:5, 2:6])
    small = pre.resize(cropped, (2, 2)).numpy()
    np.testing.assert_allclose(small[0, 0, 0], cropped[:2, :2].mean())
    assert pre.crop_box(image, None) is image
