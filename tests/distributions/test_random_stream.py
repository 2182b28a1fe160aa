import numpy as np
import pytest
import tensorflow as tf

from tf_pixelcnn.distributions import random_stream


def test_per_image_seeds_split_or_pass_through():
    split = random_stream.per_image_seeds((1, 2), 4).numpy()
    assert split.shape == (4, 2) and len({tuple(s) for s in split}) == 4
    given = np.array([[3, 4], [5, 6]], np.int32)
    np.testing.assert_array_equal(random_stream.per_image_seeds(given), given)


@pytest.mark.parametrize(
    "seed, num_samples, match",
    [
        ((1, 2, 3), 2, r"shape \[2\] or \[batch, 2\]. Received: shape=\(3,\)"),
        ((1, 2), None, "give num_samples"),
        (np.zeros((3, 2), np.int32), 2, r"seed shape=\(3, 2\), num_samples=2"),
        ((1.0, 2.0), 2, "dtype=float32"),
    ],
)
def test_bad_seeds_are_named(seed, num_samples, match):
    with pytest.raises(ValueError, match=match):
        random_stream.per_image_seeds(seed, num_samples)


def test_uniform_noise_of_an_image_depends_on_its_seed_only():
    seeds = np.array([[1, 2], [3, 4], [1, 2]], np.int32)
    noise = random_stream.uniform_noise(seeds, (2, 3, 3)).numpy()
    assert noise.shape == (3, 2, 3, 3)
    np.testing.assert_array_equal(noise[0], noise[2])
    assert np.abs(noise[0] - noise[1]).max() > 0
    np.testing.assert_array_equal(random_stream.uniform_noise(seeds[1:2], (2, 3, 3))[0], noise[1])


def test_inverse_cdf_sample_matches_the_distribution():
    logits = np.log(np.array([[0.1, 0.2, 0.3, 0.4]], np.float32))
    uniform = np.array([0.0, 0.09, 0.11, 0.29, 0.31, 0.59, 0.61, 0.999], np.float32)
    drawn = random_stream.inverse_cdf_sample(np.repeat(logits, 8, 0), uniform).numpy()
    np.testing.assert_array_equal(drawn, [0, 0, 1, 1, 2, 2, 3, 3])


def test_temperature_sharpens():
    logits = tf.math.log([[0.3, 0.7]])
    uniform = tf.constant([0.35])
    assert int(random_stream.inverse_cdf_sample(logits, uniform, 1.0)[0]) == 1
    assert int(random_stream.inverse_cdf_sample(logits, tf.constant([0.2]), 1.0)[0]) == 0
    assert int(random_stream.inverse_cdf_sample(logits, tf.constant([0.2]), 0.05)[0]) == 1
