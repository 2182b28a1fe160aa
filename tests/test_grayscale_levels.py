"""x̂ of the Grayscale PixelCNN and the colour intervals consistent with it, checked by
exhaustive enumeration of all 256³ colours."""

import numpy as np
import pytest
import tensorflow as tf

from tf_pixelcnn.grayscale_levels import channel_bounds, grayscale_levels


def _table(num_levels, levels):
    v = np.arange(num_levels, dtype=np.int64)
    weighted = 299 * v[:, None, None] + 587 * v[None, :, None] + 114 * v[None, None, :]
    return (((weighted + 500) // 1000) * levels // num_levels).astype(np.uint8)


def test_levels_match_the_rounded_luma_quantised_to_equal_bins():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (1000, 3))
    luma = np.round(pixels @ np.array([0.299, 0.587, 0.114]) + 1e-9)
    expected = (luma // 16).astype(np.int32)
    np.testing.assert_array_equal(grayscale_levels(pixels)[:, 0], expected)
    assert grayscale_levels(tf.constant([[255, 255, 255]])).numpy().item() == 15


@pytest.mark.parametrize("num_levels, levels", [(256, 16), (8, 4), (32, 3)])
def test_bounds_are_exactly_the_values_with_a_consistent_completion(num_levels, levels):
    table = _table(num_levels, levels)  # [R, G, B] -> x̂
    v = np.arange(num_levels)
    for level in range(levels):
        hit = table == level
        # R: any (G, B) completes it.
        low, high = channel_bounds(tf.fill([1], level), [], num_levels, levels)
        expected = hit.any(axis=(1, 2))
        np.testing.assert_array_equal((v >= low[0].numpy()) & (v <= high[0].numpy()), expected)
        # G given R: any B completes it; B given R, G: exactly x̂.
        low, high = channel_bounds(tf.fill([num_levels], level), [v], num_levels, levels)
        inside = (v >= low.numpy()[:, None]) & (v <= high.numpy()[:, None])  # [R, G]
        np.testing.assert_array_equal(inside, hit.any(axis=2))
        r, g = np.meshgrid(v, v, indexing="ij")
        low, high = channel_bounds(tf.fill(r.shape, level), [r, g], num_levels, levels)
        inside = (v >= low.numpy()[..., None]) & (v <= high.numpy()[..., None])  # [R, G, B]
        np.testing.assert_array_equal(inside, hit)
