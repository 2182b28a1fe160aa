import numpy as np
import pytest

from tests import test_case
from tf_pixelcnn.layers.vertical_stack_conv2d import VerticalStackConv2D


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
def test_row_r_sees_exactly_rows_r_minus_half_to_r(kernel_size):
    half = kernel_size // 2
    layer = VerticalStackConv2D(4, kernel_size)
    assert layer(np.zeros((1, 2, 2, 3), np.float32)).shape == (1, 2, 2, 4)
    assert tuple(layer.kernel.shape) == (half + 1, kernel_size, 3, 4)  # ⌈n/2⌉ × n, no mask
    inputs = np.random.default_rng(0).normal(size=(2, 6, 7, 3)).astype(np.float32)
    depends = test_case.dependency(layer, inputs)
    for i, j, a, b in np.ndindex(6, 7, 6, 7):
        expected = i - half <= a <= i and abs(j - b) <= half
        assert (
            depends[i, j, :, a, b, :].all() == expected
            and depends[i, j, :, a, b, :].any() == expected
        )


def test_config_round_trip():
    test_case.assert_layer_config_round_trip(
        VerticalStackConv2D(4, 5), np.ones((1, 4, 4, 2), np.float32)
    )
