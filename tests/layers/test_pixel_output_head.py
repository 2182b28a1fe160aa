import numpy as np
import pytest

from tests import test_case
from tf_pixelcnn.layers.pixel_output_head import PixelOutputHead


@pytest.mark.parametrize("channels", [1, 3])
def test_logits_of_colour_c_see_feature_groups_up_to_c(channels):
    head = PixelOutputHead(num_levels=5, num_color_groups=channels, hidden_filters=6)
    features = np.random.default_rng(0).normal(size=(3, 2, 2, 6)).astype(np.float32)
    assert head(features).shape == (3, 2, 2, channels, 5)
    depends = test_case.dependency(head, features)  # (2, 2, C, 2, 2, 6)
    feature_group = np.arange(6) * channels // 6
    for c in range(channels):
        np.testing.assert_array_equal(depends[0, 1, c, 0, 1], feature_group <= c)
        assert not depends[0, 1, c, 0, 0].any()  # 1×1: no other pixel


def test_config_round_trip():
    test_case.assert_layer_config_round_trip(
        PixelOutputHead(num_levels=4, num_color_groups=3, hidden_filters=6),
        np.ones((1, 3, 3, 6), np.float32),
    )
