import numpy as np
import pytest

from tests import test_case
from tf_pixelcnn.layers import masks
from tf_pixelcnn.layers.horizontal_stack_conv2d import HorizontalStackConv2D


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
@pytest.mark.parametrize("mask_type", ["A", "B"])
@pytest.mark.parametrize("groups", [1, 3])
def test_sees_the_row_to_the_left_and_earlier_groups_of_the_pixel(kernel_size, mask_type, groups):
    half, filters, in_channels = kernel_size // 2, 12, 3 if groups == 3 else 2
    layer = HorizontalStackConv2D(
        filters, kernel_size, mask_type=mask_type, num_color_groups=groups, out_splits=2
    )
    inputs = np.random.default_rng(0).normal(size=(2, 3, 6, in_channels)).astype(np.float32)
    depends = test_case.dependency(layer, inputs)
    channel = masks.channel_mask(in_channels, filters, groups, mask_type, out_splits=2).T.astype(
        bool
    )
    for i, j, a, b in np.ndindex(3, 6, 3, 6):
        if a == i and b == j:
            np.testing.assert_array_equal(depends[i, j, :, a, b, :], channel)
        else:
            assert depends[i, j, :, a, b, :].all() == (a == i and j - half <= b < j)
            assert depends[i, j, :, a, b, :].any() == (a == i and j - half <= b < j)


def test_only_the_current_pixel_tap_is_masked():
    layer = HorizontalStackConv2D(6, 5, mask_type="A", num_color_groups=3)
    layer.build((None, None, None, 3))
    kernel = layer.masked_kernel().numpy()
    assert kernel.shape == (1, 3, 3, 6)
    assert (kernel[:, :-1] != 0).all()
    assert (kernel[0, -1] == 0).sum() == 12  # mask A blocks (3 + 2 + 1) inputs × 2 maps per group


def test_config_round_trip():
    layer = HorizontalStackConv2D(6, 3, mask_type="B", num_color_groups=3, out_splits=2)
    test_case.assert_layer_config_round_trip(layer, np.ones((1, 4, 4, 3), np.float32))
