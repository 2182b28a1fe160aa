import numpy as np
import pytest

from tests import test_case
from tf_pixelcnn.layers import masks
from tf_pixelcnn.layers.masked_conv2d import MaskedConv2D


def expected_dependency(shape, filters, kernel_size, mask_type, groups):
    height, width, in_channels = shape
    half = kernel_size // 2
    in_group = masks.channel_groups(in_channels, groups)
    out_group = masks.channel_groups(filters, groups)
    allowed = np.zeros((height, width, filters, height, width, in_channels), bool)
    for i, j, o, a, b, k in np.ndindex(allowed.shape):
        if abs(i - a) > half or abs(j - b) > half:
            continue
        if (a, b) < (i, j):
            allowed[i, j, o, a, b, k] = True
        elif (a, b) == (i, j):
            allowed[i, j, o, a, b, k] = (
                in_group[k] < out_group[o] if mask_type == "A" else in_group[k] <= out_group[o]
            )
    return allowed


@pytest.mark.parametrize("kernel_size", [1, 3, 5, 7])
@pytest.mark.parametrize("mask_type", ["A", "B"])
@pytest.mark.parametrize("groups", [1, 3])
def test_sees_exactly_the_masked_window(kernel_size, mask_type, groups):
    shape = (5, 5, 3 * groups if groups == 3 else 2)
    layer = MaskedConv2D(6, kernel_size, mask_type=mask_type, num_color_groups=groups)
    inputs = np.random.default_rng(0).normal(size=(2, *shape)).astype(np.float32)
    depends = test_case.dependency(layer, inputs)
    np.testing.assert_array_equal(
        depends, expected_dependency(shape, 6, kernel_size, mask_type, groups)
    )


def test_config_round_trip():
    layer = MaskedConv2D(6, 3, mask_type="A", num_color_groups=3, out_splits=2)
    test_case.assert_layer_config_round_trip(layer, np.ones((1, 4, 4, 3), np.float32))


def test_convolve_of_the_padded_input_is_the_call():
    layer = MaskedConv2D(6, 5, mask_type="A", num_color_groups=3)
    inputs = np.random.default_rng(0).normal(size=(2, 6, 7, 3)).astype(np.float32)
    outputs = layer(inputs)
    padded = np.pad(inputs, layer.padding)
    np.testing.assert_allclose(layer.convolve(padded), outputs, rtol=1e-5, atol=1e-5)
