"""The logistic mixture restricted to colours consistent with x̂: normalised over exactly
those colours, equal to the plain mixture without bounds, sampled from its own density."""

import itertools

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from tf_pixelcnn.distributions import logistic_mixture
from tf_pixelcnn.distributions import truncated_logistic_mixture as tlm
from tf_pixelcnn.grayscale_levels import channel_bounds, grayscale_levels

K, C = 3, 3


def _params(batch, seed=0, scale=1.0):
    """Random parameters; with `scale`, every log-scale is log(scale) and the means spread
    over [-1, 1] (scale e^-7 at the floor: bins far in the tails)."""
    rng = np.random.default_rng(seed)
    params = rng.normal(size=(batch, logistic_mixture.num_parameters(K, C))).astype(np.float32)
    if scale != 1.0:
        per_component = params[:, K:].reshape(batch, K, -1)
        per_component[:, :, :C] = rng.uniform(-1, 1, (batch, K, C))
        per_component[:, :, C : 2 * C] = np.log(scale)
        params[:, K:] = per_component.reshape(batch, -1)
    return params


def _bounds_of(images, xhat, num_levels, levels):
    lows, highs = [], []
    for c in range(C):
        low, high = channel_bounds(xhat, [images[..., j] for j in range(c)], num_levels, levels)
        lows.append(low)
        highs.append(high)
    return tf.stack(lows, -1), tf.stack(highs, -1)


@pytest.mark.parametrize("scale", [np.exp(-7.0), 0.05, 1.0, 3.0])
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


def test_map_mode_takes_the_components_mean_moved_into_the_interval():
    # One component (logit 100) with means at -1, 0 and 1 for R, G, B, no coupling.
    params = np.zeros((2, logistic_mixture.num_parameters(K, C)), np.float32)
    params[:, 0] = 100.0
    params[:, K : K + C] = [-1.0, 0.0, 1.0]
    uniform = np.random.default_rng(1).uniform(size=(2, 1 + C)).astype(np.float32)
    xhat = np.array([15, 3], np.int32)  # bright: R must rise; dark: B must fall
    bounds = lambda values: channel_bounds(xhat, values, 256, 16)  # noqa: E731
    drawn = tlm.sample_pixels(params, uniform, bounds, K, C, 256, mode="map").numpy()
    np.testing.assert_array_equal(grayscale_levels(drawn)[:, 0], xhat)
    low_r, high_r = (b.numpy() for b in channel_bounds(xhat, [], 256, 16))
    np.testing.assert_array_equal(drawn[:, 0], np.clip(0, low_r, high_r))  # mean -1 -> 0
    other = uniform.copy()
    other[:, 1:] = 1.0 - other[:, 1:]  # the channel uniforms do not matter in MAP mode
    np.testing.assert_array_equal(
        tlm.sample_pixels(params, other, bounds, K, C, 256, mode="map"), drawn
    )
