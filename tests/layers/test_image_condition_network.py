import numpy as np
import tensorflow as tf

from tests import test_case
from tf_pixelcnn.layers import ImageConditionNetwork


def test_output_is_image_sized_and_sees_the_whole_auxiliary_image_nearby():
    network = ImageConditionNetwork(height=8, width=8, filters=4, hidden_filters=6)
    inputs = np.random.default_rng(0).uniform(-1, 1, (2, 4, 4, 1)).astype(np.float32)
    assert network(inputs).shape == (2, 8, 8, 4)
    depends = test_case.dependency(network, inputs)  # (8, 8, 4, 4, 4, 1)
    # No causal masking: an output pixel sees auxiliary pixels above, below and to the
    # right of its own, e.g. output (3, 3) sees x̂ (2, 2) (below-right of its (1, 1)).
    assert depends[3, 3, :, 2, 2, 0].any() and depends[3, 3, :, 0, 0, 0].any()


def test_config_round_trip():
    network = ImageConditionNetwork(height=6, width=5, filters=3)
    test_case.assert_layer_config_round_trip(network, tf.zeros([1, 3, 3, 2]))
