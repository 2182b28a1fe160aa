"""The logistic mixture restricted to colours consistent with x̂: normalised over exactly
those colours, equal to the plain mixture without bounds, sampled from its own density."""

import itertools

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from tf_pixelcnn import logistic_mixture
from tf_pixelcnn import truncated_logistic_mixture as tlm
from tf_pixelcnn.grayscale_levels import channel_bounds, grayscale_levels

K, C = 3, 3


def _params(batch, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    params = rng.normal(size=(batch, logistic_mixture.num_parameters(K, C))).astype(np.float32)
    params[:, K + C : K + 2 * C] = np.log(scale)  # log-scales of component 0
    return params * np.float32(scale)


def _bounds_of(images, xhat, num_levels, levels):
    lows, highs = [], []
    for c in range(C):
        low, high = channel_bounds(xhat, [images[..., j] for j in range(c)], num_levels, levels)
        lows.append(low)
        highs.append(high)
    return tf.stack(lows, -1), tf.stack(highs, -1)


@pytest.mark.parametrize("scale", [0.05, 1.0, 3.0])
def test_sums_to_one_over_the_colours_consistent_with_each_level(scale):
    num_levels, levels = 8, 4
    pixels = np.array(list(itertools.product(range(num_levels), repeat=C)), np.int32)  # (512, 3)
    xhat = grayscale_levels(pixels, num_levels, levels)[:, 0]
    params = np.repeat(_params(1, scale=scale), len(pixels), axis=0)
    low, high = _bounds_of(pixels, xhat, num_levels, levels)
    log_q = tlm.pixel_log_prob(params, pixels, low, high, K, num_levels).numpy()
    for level in range(levels):
        total = np.exp(log_q[xhat.numpy() == level]).sum()
        np.testing.assert_allclose(total, 1.0, rtol=1e-5)


def test_without_bounds_it_is_the_plain_mixture():
    images = np.random.default_rng(1).integers(0, 256, (50, C)).astype(np.int32)
    params = _params(50, seed=2)
    low, high = np.zeros_like(images), np.full_like(images, 255)
    np.testing.assert_allclose(
        tlm.pixel_log_prob(params, images, low, high, K, 256),
        logistic_mixture.pixel_log_prob(params, images, K, 256),
        rtol=1e-5,
    )


def _sample(params, xhat, num_levels, levels, mode="sample", reduction=0.0, seed=3):
    uniform = np.random.default_rng(seed).uniform(size=(len(params), 1 + C)).astype(np.float32)
    bounds = lambda values: channel_bounds(xhat, values, num_levels, levels)  # noqa: E731
    return tlm.sample_pixels(params, uniform, bounds, K, C, num_levels, reduction, mode).numpy()


def test_samples_follow_the_truncated_density():
    num_levels, levels, n = 8, 4, 40000
    params = np.repeat(_params(1, seed=4), n, axis=0)
    pixels = np.array(list(itertools.product(range(num_levels), repeat=C)), np.int32)
    xhat_all = grayscale_levels(pixels, num_levels, levels)[:, 0].numpy()
    low, high = _bounds_of(pixels, xhat_all, num_levels, levels)
    log_q = tlm.pixel_log_prob(params[: len(pixels)], pixels, low, high, K, num_levels).numpy()
    for level in (1, 2):
        drawn = _sample(params, tf.fill([n], level), num_levels, levels, seed=level)
        assert (grayscale_levels(drawn, num_levels, levels).numpy() == level).all()
        index = drawn[:, 0] * num_levels**2 + drawn[:, 1] * num_levels + drawn[:, 2]
        observed = np.bincount(index, minlength=len(pixels))[xhat_all == level]
        expected = np.exp(log_q[xhat_all == level]) * n  # sums to n: normalised
        keep = expected > 5
        expected = expected[keep].astype(np.float64)
        expected *= observed[keep].sum() / expected.sum()
        _, p = scipy.stats.chisquare(observed[keep], expected)
        assert p > 1e-3, p
        assert observed[~keep].sum() < 5 * max(1, (~keep).sum())


@pytest.mark.parametrize("mode, reduction", [("sample", 0.0), ("sample", 2.0), ("map", 0.0)])
def test_256_level_draws_have_the_requested_grayscale(mode, reduction):
    n = 4000
    xhat = np.random.default_rng(5).integers(0, 16, n).astype(np.int32)
    drawn = _sample(_params(n, seed=6), xhat, 256, 16, mode, reduction)
    np.testing.assert_array_equal(grayscale_levels(drawn)[:, 0], xhat)
    assert len(np.unique(drawn[:, 0])) > 20  # not a degenerate draw


def test_map_mode_is_deterministic_given_the_component():
    params = _params(8, seed=7)
    xhat = np.full(8, 9, np.int32)
    first = _sample(params, xhat, 256, 16, "map", seed=1)
    second = _sample(params, xhat, 256, 16, "map", seed=1)
    np.testing.assert_array_equal(first, second)
    # One component: every uniform gives the same most probable colour.
    one = params.copy()
    one[:, 0] = 100.0
    np.testing.assert_array_equal(
        _sample(one, xhat, 256, 16, "map", seed=1), _sample(one, xhat, 256, 16, "map", seed=2)
    )
