import numpy as np
import pytest

from tests import test_case
from tf_pixelcnn.layers.condition_projection import ConditionProjection


def test_global_condition_is_a_per_image_bias():
    projection = ConditionProjection(8, condition_dim=3)
    h = np.random.default_rng(0).normal(size=(2, 3)).astype(np.float32)
    bias = projection(h).numpy()
    assert bias.shape == (2, 1, 1, 8)
    np.testing.assert_allclose(
        bias[:, 0, 0], h @ projection.global_projection.kernel.numpy(), rtol=1e-5
    )


def test_spatial_condition_is_a_1x1_convolution_plus_global():
    projection = ConditionProjection(8, condition_dim=3, spatial_channels=2)
    rng = np.random.default_rng(0)
    h = rng.normal(size=(2, 3)).astype(np.float32)
    s = rng.normal(size=(2, 4, 5, 2)).astype(np.float32)
    bias = projection(h, s).numpy()
    expected = (h @ projection.global_projection.kernel.numpy())[:, None, None] + np.einsum(
        "bhwc,cu->bhwu", s, projection.spatial_projection.kernel.numpy()[0, 0]
    )
    np.testing.assert_allclose(bias, expected, rtol=1e-5, atol=1e-6)


def test_missing_inputs_are_named():
    with pytest.raises(ValueError, match="condition_dim=None, spatial_channels=None"):
        ConditionProjection(4)
    projection = ConditionProjection(4, spatial_channels=2)
    with pytest.raises(ValueError, match="spatial_condition"):
        projection(None, None)


def test_config_round_trip():
    projection = ConditionProjection(8, condition_dim=3, spatial_channels=2)
    rng = np.random.default_rng(0)
    test_case.assert_layer_config_round_trip(
        projection,
        rng.normal(size=(2, 3)).astype(np.float32),
        spatial_condition=rng.normal(size=(2, 4, 4, 2)).astype(np.float32),
    )
