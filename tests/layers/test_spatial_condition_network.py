import numpy as np
import pytest

from tests import test_case
from tf_pixelcnn.layers.spatial_condition_network import SpatialConditionNetwork
from tf_pixelcnn.layers.spatial_condition_network import default_num_resamplings


@pytest.mark.parametrize(
    "height, width, steps", [(32, 32, 3), (8, 8, 2), (28, 20, 3), (2, 2, 0), (1, 3, 0)]
)
def test_output_has_the_image_size(height, width, steps):
    assert default_num_resamplings(height, width) == steps
    network = SpatialConditionNetwork(height, width, 5)
    s = network(np.ones((2, 7), np.float32))
    assert s.shape == (2, height, width, 5)
    assert len(network.deconvolutions) == steps


def test_map_varies_with_location_and_condition():
    network = SpatialConditionNetwork(16, 16, 4)
    h = np.random.default_rng(0).normal(size=(2, 6)).astype(np.float32)
    s = network(h).numpy()
    assert np.std(s[0], axis=(0, 1)).min() > 0  # location-dependent
    assert np.abs(s[0] - s[1]).max() > 0  # depends on h


def test_config_round_trip():
    test_case.assert_layer_config_round_trip(
        SpatialConditionNetwork(12, 10, 4), np.ones((2, 3), np.float32)
    )
