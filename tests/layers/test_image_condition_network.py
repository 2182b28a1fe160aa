import numpy as np
import pytest
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


def _kernels(network):
    return [tuple(w.shape) for w in network.weights if len(w.shape) == 4]


def test_default_is_five_convolutions_of_32_under_their_old_names():
    network = ImageConditionNetwork(height=4, width=4, filters=3)
    network.build((None, 2, 2, 1))
    assert len(_kernels(network)) == 5 and network.hidden_filters == 32
    names = [w.path.split("/", 1)[1] for w in network.weights]  # saved models load
    assert names == [f"{layer}/{weight}" for layer in ("full", "down", "half", "up", "output")
                     for weight in ("kernel", "bias")]  # fmt: skip


def test_depth_and_width_are_configurable():
    network = ImageConditionNetwork(height=8, width=8, filters=3, hidden_filters=5,
                                    layers_per_resolution=3)  # fmt: skip
    inputs = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 1)).astype(np.float32)
    assert network(inputs).shape == (2, 8, 8, 3)
    kernels = _kernels(network)
    assert len(kernels) == 2 * 3 + 3  # 3 per resolution, down, up, output
    assert all(shape[-1] == 5 for shape in kernels[:-1]) and kernels[-1][-1] == 3
    # Deeper sees farther: the last column of a 1×24 x̂ that output (0, 0) depends on.
    row = np.random.default_rng(1).uniform(-1, 1, (1, 1, 24, 1)).astype(np.float32)

    def reach(layers_per_resolution):
        net = ImageConditionNetwork(1, 24, 2, hidden_filters=4,
                                    layers_per_resolution=layers_per_resolution)  # fmt: skip
        return np.flatnonzero(test_case.dependency(net, row)[0, 0].any(axis=(0, 1, 3))).max()

    assert reach(3) > reach(1)
    test_case.assert_layer_config_round_trip(network, inputs)
    with pytest.raises(ValueError, match="Received: layers_per_resolution=0"):
        ImageConditionNetwork(height=8, width=8, filters=3, layers_per_resolution=0)
