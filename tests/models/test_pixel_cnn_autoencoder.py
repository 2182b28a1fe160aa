import numpy as np
import pytest
import tensorflow as tf

from tests import test_case
from tf_pixelcnn.models.pixel_cnn_autoencoder import PixelCNNAutoencoder


def make_autoencoder(spatial_condition=True, channels=1, **kwargs):
    return PixelCNNAutoencoder(
        image_shape=(8, 8, channels),
        bottleneck_dim=5,
        num_layers=3,
        filters=6,
        kernel_size=3,
        num_levels=4,
        encoder_filters=4,
        spatial_condition=spatial_condition,
        **kwargs,
    )


def images(batch=3, channels=1, seed=0):
    return np.random.default_rng(seed).integers(0, 4, (batch, 8, 8, channels)).astype(np.int32)


@pytest.mark.parametrize("spatial_condition", [True, False])
def test_decoder_is_causal_given_the_code(spatial_condition):
    ae = make_autoencoder(spatial_condition, channels=3)
    code = ae.encode(images(8, channels=3))
    test_case.assert_causal(ae.decoder, (8, 8, 3), condition=code, batch=8)


def test_log_prob_is_the_decoder_given_the_encoder_code():
    ae = make_autoencoder()
    x = images()
    expected = ae.decoder.log_prob(x, condition=ae.encode(x))
    np.testing.assert_allclose(ae.log_prob(x), expected, rtol=1e-6)
    assert ae(x).shape == (3, 8, 8, 1, 4)


def test_end_to_end_gradients_reach_the_encoder():
    ae = make_autoencoder()
    with tf.GradientTape() as tape:
        loss = -tf.reduce_mean(ae.log_prob(images(), training=True))
    gradients = tape.gradient(loss, ae.encoder.trainable_variables)
    assert gradients and all(g is not None and np.abs(g.numpy()).max() > 0 for g in gradients)


def test_decode_and_reconstruct_are_seeded():
    ae = make_autoencoder()
    x = images(2)
    code = ae.encode(x)
    first = ae.decode(code, seed=(4, 5)).numpy()
    np.testing.assert_array_equal(ae.decode(code, seed=(4, 5)), first)
    np.testing.assert_array_equal(ae.reconstruct(x, seed=(4, 5)), first)
    assert first.shape == (2, 8, 8, 1) and first.min() >= 0 and first.max() < 4


def test_keras_round_trip():
    ae = make_autoencoder()
    x = images()
    loaded = test_case.keras_round_trip(ae)
    assert loaded.get_config() == ae.get_config()
    np.testing.assert_array_equal(loaded.encode(x), ae.encode(x))
    np.testing.assert_array_equal(loaded.log_prob(x), ae.log_prob(x))


def test_bad_images_are_named():
    with pytest.raises(ValueError, match=r"Received: shape=\(2, 8, 8, 3\)"):
        make_autoencoder().encode(np.zeros((2, 8, 8, 3), np.int32))


def test_head_options_reach_the_decoder_and_round_trip():
    ae = PixelCNNAutoencoder(
        image_shape=(8, 8, 1), bottleneck_dim=5, num_layers=2, filters=6, kernel_size=3,
        num_levels=4, encoder_filters=4, first_kernel_size=5, output_filters=16,
    )  # fmt: skip
    assert ae.decoder.blocks[0].kernel_size == 5
    assert ae.decoder.output_head.hidden_filters == 16
    loaded = test_case.keras_round_trip(ae)
    assert loaded.get_config() == ae.get_config()
    np.testing.assert_array_equal(loaded.log_prob(images()), ae.log_prob(images()))
    wide = make_autoencoder(channels=3)  # 3 × 4 logits per pixel: a head of 12
    assert wide.get_config()["output_filters"] == wide.decoder.head_width == 12
    stack = make_autoencoder(channels=3, output_filters="filters")
    assert "output_filters" not in stack.get_config()  # older configs and digests
    assert test_case.keras_round_trip(stack).decoder.head_width == stack.filters
