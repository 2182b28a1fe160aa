"""The discretized logistic mixture: exact normalisation, edge bins, sampling, MAP."""

import itertools

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from tf_pixelcnn.distributions import logistic_mixture as lm


def _all_values(num_levels, channels):
    return np.array(list(itertools.product(range(num_levels), repeat=channels)), np.int32)


def _probabilities(params, num_components, num_levels, channels):
    """P of every value of every pixel: `[pixels, L^C]`."""
    values = _all_values(num_levels, channels)
    tiled = tf.repeat(params[:, None], len(values), axis=1)
    images = np.broadcast_to(values, (params.shape[0], *values.shape))
    return np.exp(lm.pixel_log_prob(tiled, images, num_components, num_levels).numpy())


@pytest.mark.parametrize("scale", [0.1, 2.0, 8.0])  # broad to very peaked (log-scale -7)
def test_every_sub_pixel_sums_to_one_over_256_bins(scale):
    params = tf.random.stateless_normal([6, lm.num_parameters(5, 1)], seed=[1, 2]) * scale
    total = _probabilities(params, 5, 256, 1).sum(axis=1)
    np.testing.assert_allclose(total, 1.0, atol=2e-5)


def test_rgb_pixels_sum_to_one_by_enumeration():
    params = tf.random.stateless_normal([4, lm.num_parameters(3, 3)], seed=[3, 4]) * 2
    np.testing.assert_allclose(_probabilities(params, 3, 5, 3).sum(axis=1), 1.0, atol=1e-5)


def test_edge_and_inner_bins_match_the_logistic_cdf():
    mean, log_scale, levels = 0.3, np.log(0.2), 8
    params = tf.constant([[0.0, mean, log_scale]])  # K = 1, C = 1
    probabilities = _probabilities(params, 1, levels, 1)[0]
    centres = 2 * np.arange(levels) / (levels - 1) - 1
    cdf = scipy.stats.logistic(loc=mean, scale=0.2).cdf
    half = 1 / (levels - 1)
    expected = [cdf(centres[0] + half)]
    expected += [cdf(c + half) - cdf(c - half) for c in centres[1:-1]]
    expected += [1 - cdf(centres[-1] - half)]
    np.testing.assert_allclose(probabilities, expected, rtol=1e-5)


def test_channel_coupling_shifts_later_means_by_earlier_values():
    # K = 1, tiny scales, means (1, 0, 0): R = 2 (x = 1) surely. Coupling tanh(a) = 0.5 for
    # G given R moves G's mean to 0.5, the edge between G = 1 (x = 0) and G = 2 (x = 1).
    a = np.arctanh(0.5)
    params = tf.constant([[0.0, 1.0, 0, 0, -7, -7, -7, a, 0, 0]], tf.float32)
    p = _probabilities(params, 1, 3, 3)[0].reshape(3, 3, 3)
    assert p[2, 1, 1] == pytest.approx(0.5, abs=1e-4)
    assert p[2, 2, 1] == pytest.approx(0.5, abs=1e-4)
    without = _probabilities(params * np.array([1] * 7 + [0, 1, 1]), 1, 3, 3)[0]
    assert without.reshape(3, 3, 3)[2, 1, 1] == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("channels", [1, 3])
def test_samples_follow_the_density(channels):
    num_components, levels, draws = 2, 4, 20_000
    params = tf.random.stateless_normal([1, lm.num_parameters(num_components, channels)], [5, 6])
    probabilities = _probabilities(params, num_components, levels, channels)[0]
    uniform = tf.random.stateless_uniform([draws, 1 + channels], seed=[7, 8])
    samples = lm.sample_pixels(
        tf.repeat(params, draws, axis=0), uniform, num_components, channels, levels
    ).numpy()
    index = np.ravel_multi_index(samples.T, (levels,) * channels)
    counts = np.bincount(index, minlength=levels**channels)
    keep = probabilities * draws >= 5
    expected = probabilities[keep] * draws
    observed = counts[keep]
    observed_rest, expected_rest = draws - observed.sum(), draws - expected.sum()
    chi2 = ((observed - expected) ** 2 / expected).sum()
    if expected_rest >= 5:
        chi2 += (observed_rest - expected_rest) ** 2 / expected_rest
    dof = keep.sum() - (0 if expected_rest < 5 else -1) - 1
    assert scipy.stats.chi2.sf(chi2, dof) > 1e-3


def test_map_takes_the_mode_of_the_sampled_component():
    # Two components with means -0.5 and 0.5 (levels 64), weights 0.3 / 0.7.
    params = tf.constant([[np.log(0.3), np.log(0.7), -0.5, 0.0, 0.5, 0.0]], tf.float32)
    uniform = tf.constant([[0.1, 0.99], [0.9, 0.01]])
    values = lm.sample_pixels(tf.repeat(params, 2, 0), uniform, 2, 1, 64, mode="map")
    np.testing.assert_array_equal(values.numpy()[:, 0], [16, 47])  # round((x+1)*63/2)


def test_log_scale_reduction_concentrates_samples():
    params = tf.constant([[0.0, 0.0, np.log(0.3)]], tf.float32)
    uniform = tf.random.stateless_uniform([5000, 2], seed=[1, 1])
    spread = [
        np.std(lm.sample_pixels(tf.repeat(params, 5000, 0), uniform, 1, 1, 256, reduction))
        for reduction in (0.0, 1.0)
    ]
    assert spread[1] < 0.5 * spread[0]


def test_wrong_parameter_count_and_mode_are_named():
    with pytest.raises(ValueError, match="has 30 parameters per pixel"):
        lm.pixel_log_prob(tf.zeros([2, 29]), tf.zeros([2, 3], tf.int32), 3, 256)
    with pytest.raises(ValueError, match="Received: mode='mean'"):
        lm.sample_pixels(tf.zeros([1, 3]), tf.zeros([1, 2]), 1, 1, 256, mode="mean")
