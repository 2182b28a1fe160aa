"""PixelCNN (original): the shared suite, and the blind spot the gated model removes."""

import pytest

from tests import test_case
from tests.models.test_autoregressive_image_model import AutoregressiveModelSuite
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN
from tf_pixelcnn.models.pixel_cnn import PixelCNN


class TestPixelCNN(AutoregressiveModelSuite):
    model_class = PixelCNN
    has_full_receptive_field = False  # the blind spot


class TestClassConditionalPixelCNN(TestPixelCNN):
    conditioning = "class"


class TestSpatiallyConditionedPixelCNN(TestPixelCNN):
    conditioning = "spatial"


class TestPixelCNNWideHead(TestPixelCNN):
    model_kwargs = {"first_kernel_size": 3, "output_filters": 20}


def sees(model, image_shape, output, input_position):
    depends = test_case.assert_causal(model, image_shape, batch=8)
    return depends[output + input_position].any()


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
def test_pixel_cnn_has_a_blind_spot_and_the_gated_model_has_none(kernel_size):
    half = kernel_size // 2
    image_shape = (2, half + 3, 1)
    common = dict(num_layers=6, filters=8, kernel_size=kernel_size, num_levels=4)
    pixel_cnn = PixelCNN(image_shape, first_kernel_size=kernel_size, **common)
    gated = GatedPixelCNN(image_shape, **common)
    output = (1, 0, 0)
    # Above-right within the kernel: both see it.
    assert sees(pixel_cnn, image_shape, output, (0, half, 0))
    assert sees(gated, image_shape, output, (0, half, 0))
    # One column further: never reached by stacked n×n masks, however deep.
    assert not sees(pixel_cnn, image_shape, output, (0, half + 1, 0))
    assert sees(gated, image_shape, output, (0, half + 1, 0))


def test_first_layer_kernel_is_configurable():
    model = PixelCNN((6, 6, 3), num_layers=2, filters=6, first_kernel_size=7, kernel_size=3)
    model.build()
    assert tuple(model.convolutions[0].kernel.shape) == (7, 7, 3, 6)
    assert tuple(model.convolutions[1].kernel.shape) == (3, 3, 6, 6)
    with pytest.raises(ValueError, match="kernel_size=6"):
        PixelCNN((6, 6, 3), first_kernel_size=6)
