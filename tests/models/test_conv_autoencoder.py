import numpy as np
import tensorflow as tf

from tests import test_case
from tf_pixelcnn.models.conv_autoencoder import ConvAutoencoder


def test_shapes_loss_and_reconstruction_range():
    ae = ConvAutoencoder((8, 8, 3), bottleneck_dim=10, num_levels=16, filters=4)
    x = np.random.default_rng(0).integers(0, 16, (2, 8, 8, 3)).astype(np.int32)
    assert ae.encode(x).shape == (2, 10)
    assert ae(x).shape == (2, 8, 8, 3)
    loss = ae.loss_fn(x).numpy()
    expected = np.mean((ae(x).numpy() - (x * 2 / 15 - 1)) ** 2, axis=(1, 2, 3))
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    reconstruction = ae.reconstruct(x).numpy()
    assert reconstruction.min() >= 0 and reconstruction.max() <= 15


def test_training_lowers_the_error():
    ae = ConvAutoencoder((8, 8, 1), bottleneck_dim=10, num_levels=17, filters=8)
    x = np.random.default_rng(0).integers(0, 17, (16, 8, 8, 1)).astype(np.int32)
    optimizer = tf.keras.optimizers.Adam(1e-2)
    before = float(tf.reduce_mean(ae.loss_fn(x)))
    for _ in range(30):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(ae.loss_fn(x, training=True))
        optimizer.apply_gradients(
            zip(tape.gradient(loss, ae.trainable_variables), ae.trainable_variables)
        )
    assert float(tf.reduce_mean(ae.loss_fn(x))) < 0.7 * before


def test_keras_round_trip():
    ae = ConvAutoencoder((8, 8, 1), bottleneck_dim=4, num_levels=17, filters=4)
    x = np.zeros((2, 8, 8, 1), np.int32)
    loaded = test_case.keras_round_trip(ae)
    np.testing.assert_array_equal(loaded(x), ae(x))
