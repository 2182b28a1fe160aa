"""The pixel distributions as objects (`Categorical`, `LogisticMixture`,
`TruncatedLogisticMixture`): each sums to 1 over every value, draws from uniforms what its
own probabilities say, hands the range coder tables equal to its conditionals, and lays out
the random stream that the samplers consume; models name theirs."""

import itertools

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.distributions.categorical import Categorical
from tf_pixelcnn.distributions.logistic_mixture import LogisticMixture, num_parameters
from tf_pixelcnn.distributions.truncated_logistic_mixture import TruncatedLogisticMixture
from tf_pixelcnn.sampling.cached import cached_sample

LEVELS, CHANNELS, COMPONENTS = 5, 3, 3
SMALL = dict(num_layers=2, filters=8, kernel_size=3)


def _pixels(levels=LEVELS, channels=CHANNELS):
    """Every pixel value, `int32 [levels^channels, channels]`, the last channel fastest."""
    return np.array(list(itertools.product(range(levels), repeat=channels)), np.int32)


def _params(seed, batch=1, scale=1.5):
    rng = np.random.default_rng(seed)
    size = (batch, num_parameters(COMPONENTS, CHANNELS))
    return (rng.normal(size=size) * scale).astype(np.float32)


def _bounds(earlier):
    """An interval per channel that depends on the channels before it (within [0, 4])."""
    total = sum(earlier) if earlier else tf.constant(0, tf.int32)
    low = total % 3
    return low, low + 1 + len(earlier) % 2


def _bounds_of(pixels):
    lows, highs = zip(*(_bounds([pixels[:, j] for j in range(c)]) for c in range(CHANNELS)))
    low = np.stack([np.broadcast_to(v, len(pixels)) for v in lows], -1)
    return low, np.stack([np.broadcast_to(v, len(pixels)) for v in highs], -1)


def _consistent(pixels):
    low, high = _bounds_of(pixels)
    return np.all((pixels >= low) & (pixels <= high), axis=1)


MIXTURE = LogisticMixture(LEVELS, CHANNELS, COMPONENTS)
TRUNCATED = TruncatedLogisticMixture(MIXTURE)


def _joint(distribution, params):
    """P of every pixel value `[L^C]` (0 outside the truncated mixture's intervals)."""
    pixels = _pixels()
    tiled = np.repeat(params, len(pixels), axis=0)
    if distribution is MIXTURE:
        return np.exp(MIXTURE.log_prob(tiled, pixels).numpy())
    low, high = _bounds_of(pixels)
    log_q = TRUNCATED.log_prob(tiled, pixels, low, high).numpy()
    return np.where(_consistent(pixels), np.exp(log_q), 0.0)


# --- The random stream -------------------------------------------------------------------


def test_stream_layout_and_groups_of_each_distribution():
    softmax = Categorical(num_levels=256, channels=3)
    mixture = LogisticMixture(num_levels=256, channels=3, num_components=10)
    assert softmax.stream_shape(32, 16) == (32, 16, 3)  # one uniform per sub-pixel
    assert mixture.stream_shape(32, 16) == (32, 16, 4)  # the component, then each channel
    assert TruncatedLogisticMixture(mixture).stream_shape(32, 16) == (32, 16, 4)
    assert (softmax.whole_pixel, softmax.groups, softmax.outputs_per_group) == (False, 3, 256)
    assert (mixture.whole_pixel, mixture.groups, mixture.outputs_per_group) == (True, 1, 100)
    gray = Categorical(num_levels=4, channels=1)
    assert (gray.stream_shape(2, 3), gray.groups, gray.whole_pixel) == ((2, 3, 1), 1, False)


@pytest.mark.parametrize(
    "channels, components", [(3, None), (3, 2), (1, 2)], ids=["softmax", "mixture", "gray"]
)
def test_samplers_consume_the_stream_the_distribution_lays_out(channels, components):
    model = tpc.GatedPixelCNN(
        (3, 3, channels), num_levels=6, num_mixture_components=components, **SMALL
    )
    seeds = np.array([[1, 2], [3, 4]], np.int32)
    uniform = random_stream.uniform_noise(seeds, model.pixel_distribution.stream_shape(3, 3))
    expected = cached_sample(model, uniform).numpy()
    np.testing.assert_array_equal(tpc.sample(model, seed=seeds, jit_compile=False), expected)
    nothing_known = tpc.complete(model, np.zeros_like(expected), 0, seed=seeds)
    np.testing.assert_array_equal(nothing_known, expected)


# --- Models name their distribution ------------------------------------------------------


def test_models_name_their_pixel_distribution():
    softmax = tpc.GatedPixelCNN((4, 4, 3), num_levels=8, **SMALL)
    mixture = tpc.GatedPixelCNN((4, 4, 3), num_levels=8, num_mixture_components=2, **SMALL)
    baseline = tpc.PixelCNN((4, 4, 1), num_levels=3, **SMALL)
    assert softmax.pixel_distribution == Categorical(num_levels=8, channels=3)
    assert mixture.pixel_distribution == LogisticMixture(8, 3, num_components=2)
    assert baseline.pixel_distribution == Categorical(num_levels=3, channels=1)
    images = np.random.default_rng(0).integers(0, 8, (2, 4, 4, 3))
    for model in (softmax, mixture):
        np.testing.assert_array_equal(
            model.pixel_log_prob(images), model.pixel_distribution.log_prob(model(images), images)
        )


# --- Normalisation -----------------------------------------------------------------------


def test_categorical_sums_to_one_over_every_value():
    logits = np.random.default_rng(1).normal(size=(6, CHANNELS, LEVELS)).astype(np.float32) * 3
    softmax = Categorical(LEVELS, CHANNELS)
    p = np.stack(
        [np.exp(softmax.log_prob(logits, np.full((6, CHANNELS), v))) for v in range(LEVELS)], -1
    )  # (6, C, L)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(p, tf.nn.softmax(logits), rtol=1e-5)


@pytest.mark.parametrize("scale", [0.3, 1.5, 4.0])
def test_mixture_sums_to_one_over_every_pixel(scale):
    for seed in range(3):
        total = _joint(MIXTURE, _params(seed, scale=scale)).sum()
        np.testing.assert_allclose(total, 1.0, rtol=1e-5)


@pytest.mark.parametrize("scale", [0.3, 1.5, 4.0])
def test_truncated_mixture_sums_to_one_over_the_pixels_inside_the_intervals(scale):
    assert 0 < _consistent(_pixels()).sum() < LEVELS**CHANNELS  # the intervals bite
    for seed in range(3):
        total = _joint(TRUNCATED, _params(seed, scale=scale)).sum()
        np.testing.assert_allclose(total, 1.0, rtol=1e-5)


# --- Draws from uniforms ------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_categorical_draw_is_the_inverse_cdf(temperature):
    logits = np.array([[0.3, -1.0, 2.0, 0.0, 0.5]], np.float32)
    p = tf.nn.softmax(logits[0] / temperature).numpy()
    n = 10_000
    uniform = (np.arange(n, dtype=np.float32) + 0.5) / n  # a grid over [0, 1)
    drawn = Categorical(LEVELS, 1).draw(np.repeat(logits, n, 0), uniform, temperature).numpy()
    np.testing.assert_array_equal(np.diff(drawn) >= 0, True)  # monotone in u
    np.testing.assert_allclose(np.bincount(drawn, minlength=LEVELS), p * n, atol=2)


def _chi_square_p(drawn, joint):
    index = np.ravel_multi_index(drawn.T, (LEVELS,) * CHANNELS)
    observed = np.bincount(index, minlength=len(joint))
    assert observed[joint == 0].sum() == 0  # nothing drawn where there is no mass
    keep = joint * len(drawn) >= 5
    expected = joint[keep].astype(np.float64) * len(drawn)
    expected *= observed[keep].sum() / expected.sum()
    return scipy.stats.chisquare(observed[keep], expected)[1]


@pytest.mark.parametrize("distribution", [MIXTURE, TRUNCATED], ids=["mixture", "truncated"])
def test_mixture_draws_follow_their_own_probabilities(distribution):
    n = 20_000
    params = _params(7)
    uniform = tf.random.stateless_uniform([n, distribution.uniforms_per_pixel], seed=[1, 2])
    tiled = np.repeat(params, n, axis=0)
    if distribution is MIXTURE:
        drawn = distribution.draw(tiled, uniform).numpy()
    else:
        drawn = distribution.draw(tiled, uniform, _bounds).numpy()
    assert _chi_square_p(drawn, _joint(distribution, params)) > 1e-3


def test_mixture_map_and_reduction_come_through_the_object():
    params = np.array([[np.log(0.3), np.log(0.7), -0.5, 0.0, 0.5, 0.0]], np.float32)  # K=2, C=1
    mixture = LogisticMixture(64, 1, num_components=2)
    uniform = np.array([[0.1, 0.99], [0.9, 0.01]], np.float32)
    drawn = mixture.draw(np.repeat(params, 2, 0), uniform, mode="map").numpy()
    np.testing.assert_array_equal(drawn[:, 0], [16, 47])  # round((mean + 1) * 63 / 2)
    wide = mixture.draw(np.repeat(params, 2, 0), uniform).numpy()
    narrow = mixture.draw(np.repeat(params, 2, 0), uniform, log_scale_reduction=3.0).numpy()
    assert np.all(np.abs(narrow - [[16], [47]]) < np.abs(wide - [[16], [47]]))


# --- The range coder's tables -------------------------------------------------------------


def test_categorical_coder_table_is_its_probabilities():
    logits = np.random.default_rng(2).normal(size=(4, LEVELS)).astype(np.float32) * 4
    softmax = Categorical(LEVELS, 1)
    table = softmax.coder_table(logits).numpy()
    assert table.max(axis=-1).tolist() == [1.0] * 4  # exp(logits − max): the mode's entry is 1
    log_p = [softmax.log_prob(logits[:, None], np.full((4, 1), v))[:, 0] for v in range(LEVELS)]
    expected = np.exp(np.stack(log_p, -1))
    np.testing.assert_allclose(table / table.sum(-1, keepdims=True), expected, rtol=1e-5)


def _coded_tables(distribution, params, pixels):
    """The tables `coded_pixel` hands over, `[C, N, L]`, and the values it returns."""
    tables = []

    def value_of(channel, table):
        tables.append(table.numpy())
        return tf.constant(pixels[:, channel])

    tiled = np.repeat(params, len(pixels), axis=0)
    if distribution is MIXTURE:
        values = distribution.coded_pixel(tiled, value_of)
    else:
        values = distribution.coded_pixel(tiled, value_of, _bounds)
    return np.stack(tables), values.numpy()


@pytest.mark.parametrize("distribution", [MIXTURE, TRUNCATED], ids=["mixture", "truncated"])
def test_mixture_coder_tables_are_the_conditionals_of_its_log_prob(distribution):
    params = _params(11)
    pixels = _pixels()
    if distribution is TRUNCATED:
        pixels = pixels[_consistent(pixels)]
    tables, values = _coded_tables(distribution, params, pixels)
    np.testing.assert_array_equal(values, pixels)  # the values `value_of` gave
    joint = _joint(distribution, params).astype(np.float64).reshape((LEVELS,) * CHANNELS)
    for c in range(CHANNELS):
        # p(x_c = v | x_<c) = P(x_<c, v) / P(x_<c), from the enumerated joint.
        marginal = joint.sum(axis=tuple(range(c + 1, CHANNELS)))  # (L,) * (c + 1)
        earlier = np.broadcast_to(marginal[tuple(pixels[:, :c].T)], tables[c].shape)  # (N, L)
        expected = earlier / earlier.sum(-1, keepdims=True)
        table = tables[c] / tables[c].sum(-1, keepdims=True)
        np.testing.assert_allclose(table, expected, rtol=2e-5, atol=1e-7)
        if distribution is TRUNCATED:
            low, high = _bounds([tf.constant(pixels[:, j]) for j in range(c)])
            outside = (np.arange(LEVELS) < np.reshape(low, (-1, 1))) | (
                np.arange(LEVELS) > np.reshape(high, (-1, 1))
            )
            assert np.all(tables[c][np.broadcast_to(outside, tables[c].shape)] == 0.0)


# --- Options and sizes ---------------------------------------------------------------------


def test_each_distribution_refuses_the_options_of_another():
    softmax, mixture = Categorical(8, 3), LogisticMixture(8, 3, num_components=2)
    softmax.check_draw_options(temperature=0.5)
    mixture.check_draw_options(log_scale_reduction=1.0, mixture_mode="map")
    with pytest.raises(ValueError, match="logistic-mixture models only"):
        softmax.check_draw_options(log_scale_reduction=1.0)
    with pytest.raises(ValueError, match="temperature must be > 0. Received: temperature=0"):
        softmax.check_draw_options(temperature=0)
    for distribution in (mixture, TruncatedLogisticMixture(mixture)):
        with pytest.raises(ValueError, match="temperature applies to softmax outputs"):
            distribution.check_draw_options(temperature=0.5)
        with pytest.raises(ValueError, match="Received: mixture_mode='mean'"):
            distribution.check_draw_options(mixture_mode="mean")


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="integer >= 2. Received: num_levels=1"):
        Categorical(num_levels=1, channels=3)
    with pytest.raises(ValueError, match="num_components must be an integer >= 1"):
        LogisticMixture(8, 3, num_components=0)
    with pytest.raises(ValueError, match="restricts a LogisticMixture. Received: mixture=Categ"):
        TruncatedLogisticMixture(Categorical(8, 3))
