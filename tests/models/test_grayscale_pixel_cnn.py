"""Grayscale PixelCNN: exact decomposition, a normalised density whose samples follow it,
colour samples consistent with the sampled grayscale, causality, round trip, errors."""

import itertools

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

import tf_pixelcnn as tpc
from tests import test_case
from tests.models.test_autoregressive_image_model import sharpen_output
from tf_pixelcnn import grayscale_levels
from tf_pixelcnn.distributions import truncated_logistic_mixture
from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.sampling.cached import cached_sample


def _model(shape=(4, 5, 3), levels=256, grayscale=16, **kwargs):
    return tpc.GrayscalePixelCNN(
        shape, num_levels=levels, grayscale_levels=grayscale, num_layers=2, filters=8,
        grayscale_num_layers=2, grayscale_filters=8, kernel_size=3, num_mixture_components=3,
        condition_filters=4, **kwargs,
    )  # fmt: skip


def _images(batch=3, shape=(4, 5, 3), levels=256, seed=0):
    return np.random.default_rng(seed).integers(0, levels, (batch, *shape)).astype(np.int32)


def test_log_prob_is_log_p_grayscale_plus_log_p_colour_given_grayscale_by_hand():
    model = _model()
    images = _images()
    xhat = grayscale_levels.grayscale_levels(images)  # (B, H, W, 1)
    by_hand = model.grayscale_model.log_prob(xhat)
    params = model.colour_model(images, condition=xhat)
    bounds = [
        grayscale_levels.channel_bounds(xhat[..., 0], [images[..., j] for j in range(c)])
        for c in range(3)
    ]
    low = tf.stack([b[0] for b in bounds], -1)
    high = tf.stack([b[1] for b in bounds], -1)
    pixel = truncated_logistic_mixture.pixel_log_prob(params, images, low, high, 3, 256)
    by_hand += tf.reduce_sum(pixel, axis=[1, 2])
    np.testing.assert_allclose(model.log_prob(images), by_hand, rtol=1e-5)
    factors = model.factor_log_probs(images)
    np.testing.assert_allclose(factors["grayscale"] + factors["colour"], by_hand, rtol=1e-5)
    bits = model.report_bits_per_dim(factors)
    np.testing.assert_allclose(bits["colour"], -factors["colour"] / (60 * np.log(2)), rtol=1e-6)


def _every_image(shape, levels):
    size = int(np.prod(shape))
    return np.array(list(itertools.product(range(levels), repeat=size)), np.int32).reshape(
        -1, *shape
    )


def test_the_whole_model_sums_to_one_by_enumeration_and_samples_follow_it():
    model = _model((1, 1, 3), levels=8, grayscale=4)
    sharpen_output(model.colour_model, scale=1.0)
    images = _every_image((1, 1, 3), 8)  # all 512 pixels
    probabilities = np.exp(model.log_prob(images).numpy().astype(np.float64))
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-5)
    n = 20000
    drawn = model.sample(num_samples=n, seed=(3, 4)).numpy().reshape(n, 3)
    index = drawn[:, 0] * 64 + drawn[:, 1] * 8 + drawn[:, 2]
    observed = np.bincount(index, minlength=512)
    keep = probabilities * n > 5
    expected = probabilities[keep] * n
    _, p = scipy.stats.chisquare(observed[keep], expected * observed[keep].sum() / expected.sum())
    assert p > 1e-3, p


def test_two_pixels_sum_to_one_by_enumeration():
    model = _model((1, 2, 3), levels=4, grayscale=2)
    images = _every_image((1, 2, 3), 4)  # 4096 images
    total = np.exp(model.log_prob(images).numpy().astype(np.float64)).sum()
    np.testing.assert_allclose(total, 1.0, rtol=1e-5)


def test_colour_model_is_causal_in_x_and_the_grayscale_model_too():
    model = _model()
    xhat = np.random.default_rng(1).integers(0, 16, (2, 4, 5, 1)).astype(np.int32)
    test_case.assert_pixel_causal(
        model.colour_model, (4, 5, 3), condition=xhat, full_receptive_field=False
    )
    test_case.assert_causal(model.grayscale_model, (4, 5, 1), full_receptive_field=False)


@pytest.mark.parametrize("mode, reduction", [("sample", 0.0), ("sample", 1.0), ("map", 0.0)])
def test_samples_have_the_sampled_grayscale_and_cached_equals_naive(mode, reduction):
    model = _model()
    seeds = random_stream.per_image_seeds((5, 6), 3)
    uniform = random_stream.uniform_noise(seeds, (model.stream_size,))
    images = model.draw(uniform, "cached", 1.0, reduction, mode)
    xhat = cached_sample(model.grayscale_model, tf.reshape(uniform[:, :20], [3, 4, 5, 1]))
    assert images.shape == (3, 4, 5, 3) and images.dtype == tf.int32
    assert 0 <= images.numpy().min() and images.numpy().max() < 256
    assert xhat.numpy().max() < 16 and len(np.unique(xhat)) > 3
    np.testing.assert_array_equal(model.auxiliary(images), xhat)
    naive = model.sample(
        seed=seeds, method="naive", log_scale_reduction=reduction, mixture_mode=mode
    )
    np.testing.assert_array_equal(
        model.sample(seed=seeds, log_scale_reduction=reduction, mixture_mode=mode), naive
    )
    reference = tpc.sample(model, seed=seeds, log_scale_reduction=reduction, mixture_mode=mode,
                           jit_compile=False)  # fmt: skip
    np.testing.assert_array_equal(reference, naive)
    given = model.sample_given(xhat, seed=(1, 1), log_scale_reduction=reduction, mixture_mode=mode)
    np.testing.assert_array_equal(model.auxiliary(given), xhat)


def test_temperature_scales_the_grayscale_factor_only():
    model = _model()
    sharpen_output(model.grayscale_model, scale=1.0)
    cold = model.sample(num_samples=2, seed=(1, 1), temperature=0.05)
    warm = model.sample(num_samples=2, seed=(1, 1))
    assert not np.array_equal(model.auxiliary(cold), model.auxiliary(warm))
    # Given x̂, the colours come from the same stream whatever the temperature.
    seeds = random_stream.per_image_seeds((1, 1), 2)
    uniform = random_stream.uniform_noise(seeds, (model.stream_size,))
    colour = model.draw_given(model.auxiliary(cold), uniform[:, 20:], "cached", 0.0, "sample")
    np.testing.assert_array_equal(colour, cold)


def test_keras_round_trip():
    model = _model()
    images = _images()
    loaded = test_case.keras_round_trip(model)
    assert isinstance(loaded, tpc.GrayscalePixelCNN) and loaded.get_config() == model.get_config()
    np.testing.assert_allclose(loaded.log_prob(images), model.log_prob(images), rtol=1e-6)
    np.testing.assert_array_equal(
        loaded.sample(num_samples=2, seed=(1, 2)), model.sample(num_samples=2, seed=(1, 2))
    )


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="3 channels. Received: image_shape=\\(4, 4, 1\\)"):
        _model((4, 4, 1))
    model = _model()
    with pytest.raises(ValueError, match=r"images must be integers \[batch, 4, 5, 3\]"):
        model.log_prob(np.zeros((1, 4, 4, 3), np.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="values in \\[0, num_levels=256\\)"):
        model.log_prob(np.full((1, 4, 5, 3), 256, np.int32))
    with pytest.raises(ValueError, match="images height must be 4"):
        model.sample_given(np.zeros((1, 5, 5, 1), np.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_levels=16"):
        model.sample_given(np.full((1, 4, 5, 1), 16, np.int32))
    with pytest.raises(ValueError, match="is unconditional"):
        tpc.sample(model, condition=np.zeros([2], np.int32))
    with pytest.raises(ValueError, match="temperature must be > 0"):
        model.sample(num_samples=1, temperature=0.0)
    images = _images(1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="grayscale levels differ"):
        model.colour_log_prob(images, (model.auxiliary(images) + 1) % 16)
    assert list(model.factor_log_probs(images, factors=["colour"])) == ["colour"]


def test_head_options_reach_both_factors_and_round_trip():
    model = _model(first_kernel_size=5, output_filters=20)
    for factor in model.factor_models.values():
        assert factor.blocks[0].kernel_size == 5 and factor.blocks[1].kernel_size == 3
        assert factor.output_head.hidden_filters == 20
    loaded = test_case.keras_round_trip(model)
    assert loaded.get_config() == model.get_config()
    assert loaded.colour_model.output_head.hidden_filters == 20
    images = _images()
    np.testing.assert_allclose(loaded.log_prob(images), model.log_prob(images), rtol=1e-6)
    np.testing.assert_array_equal(
        loaded.sample(num_samples=2, seed=(1, 2)),
        model.sample(num_samples=2, seed=(1, 2), method="naive"),
    )
    assert _model().get_config()["output_filters"] is None  # each factor's default
    stack = _model(output_filters="filters")
    assert "output_filters" not in stack.get_config()  # older configs and digests
    loaded = test_case.keras_round_trip(stack)
    assert loaded.colour_model.head_width == stack.filters
    assert loaded.grayscale_model.head_width == stack.grayscale_filters
