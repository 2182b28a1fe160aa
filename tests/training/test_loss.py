"""The one loss: −Σ factor log-likelihoods in bits/dim, for every kind of model."""

import numpy as np
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.training.loss import bits_per_dim_loss, bits_per_dim_of


def test_plain_model_is_minus_log_p_per_dimension():
    model = tpc.GatedPixelCNN((4, 4, 3), num_layers=1, filters=6, kernel_size=3,
                              num_levels=8, num_classes=2)  # fmt: skip
    images = np.random.default_rng(0).integers(0, 8, (3, 4, 4, 3)).astype(np.int32)
    labels = np.array([0, 1, 1], np.int32)
    expected = -model.log_prob(images, condition=labels).numpy() / (48 * np.log(2))
    np.testing.assert_allclose(bits_per_dim_loss(model, images, labels), expected, rtol=1e-6)


def test_factors_sum_and_a_subset_sums_only_those():
    model = tpc.GrayscalePixelCNN(
        (4, 4, 3), num_levels=16, grayscale_levels=4, num_layers=1, filters=6,
        grayscale_num_layers=1, grayscale_filters=4, kernel_size=3, num_mixture_components=2,
        condition_filters=2,
    )  # fmt: skip
    images = np.random.default_rng(1).integers(0, 16, (2, 4, 4, 3)).astype(np.int32)
    factors = {k: v.numpy() for k, v in model.factor_log_probs(images).items()}
    dims = 48 * np.log(2)
    np.testing.assert_allclose(
        bits_per_dim_loss(model, images), -model.log_prob(images).numpy() / dims, rtol=1e-5
    )
    np.testing.assert_allclose(
        bits_per_dim_loss(model, images, factors=["colour"]), -factors["colour"] / dims,
        rtol=1e-5,
    )  # fmt: skip
    np.testing.assert_allclose(
        bits_per_dim_of({k: tf.constant(v) for k, v in factors.items()}, (4, 4, 3)),
        -(factors["grayscale"] + factors["colour"]) / dims,
        rtol=1e-6,
    )
