import numpy as np
import pytest

from tests import test_case
from tf_pixelcnn.layers.conv_encoder import ConvEncoder


def test_code_shape_and_validation():
    encoder = ConvEncoder(bottleneck_dim=10, filters=4, num_downsamplings=3)
    assert encoder(np.zeros((2, 28, 28, 1), np.float32)).shape == (2, 10)
    with pytest.raises(ValueError, match="bottleneck_dim=0"):
        ConvEncoder(bottleneck_dim=0)


def test_config_round_trip():
    test_case.assert_layer_config_round_trip(
        ConvEncoder(bottleneck_dim=3, filters=4, num_downsamplings=2),
        np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype(np.float32),
    )
