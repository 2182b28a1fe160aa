"""GatedPixelCNN: the shared suite in every conditioning mode, and paper-scale shapes."""

import numpy as np
import pytest

from tests.models.test_autoregressive_image_model import AutoregressiveModelSuite
from tf_pixelcnn.models.gated_pixel_cnn import GatedPixelCNN


class TestClassConditionalGatedPixelCNN(AutoregressiveModelSuite):
    conditioning = "class"


class TestVectorConditionalGatedPixelCNN(AutoregressiveModelSuite):
    conditioning = "vector"


class TestSpatiallyConditionedGatedPixelCNN(AutoregressiveModelSuite):
    conditioning = "spatial"


@pytest.mark.parametrize("num_levels", [2, 16, 256])
def test_any_image_size_and_number_of_levels(num_levels):
    model = GatedPixelCNN((5, 7, 3), num_layers=2, filters=6, kernel_size=5, num_levels=num_levels)
    images = np.full((2, 5, 7, 3), num_levels - 1, np.int32)
    assert model(images).shape == (2, 5, 7, 3, num_levels)
    assert model.log_prob(images.astype(np.uint8)).shape == (2,)


def test_condition_changes_the_logits():
    model = GatedPixelCNN(
        (4, 4, 1), num_layers=2, filters=4, kernel_size=3, num_classes=3, num_levels=4
    )
    images = np.zeros((2, 4, 4, 1), np.int32)
    logits = model(images, condition=np.array([0, 1])).numpy()
    assert np.abs(logits[0] - logits[1]).max() > 1e-4


def test_cifar_size_model_has_the_expected_parameter_count():
    model = GatedPixelCNN((32, 32, 3), num_layers=15, filters=128, kernel_size=5)
    model.build()
    p, n = 128, 5
    block = (
        (n // 2 + 1) * n * p * 2 * p
        + 2 * p  # vertical conv + bias
        + (n // 2 + 1) * p * 2 * p
        + 2 * p  # horizontal conv + bias
        + 2 * p * 2 * p  # vertical -> horizontal link
        + p * p
        + p  # horizontal output 1x1
    )
    first = block - (n // 2 + 1) * n * (p - 3) * 2 * p - (n // 2 + 1) * (p - 3) * 2 * p
    head = p * p + p + p * 3 * 256 + 3 * 256
    assert model.count_params() == first + 14 * block + head
