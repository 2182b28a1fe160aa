"""GatedPixelCNN with a discretized logistic mixture output (Kolesnikov & Lampert 2017)."""

import itertools

import numpy as np
import pytest
import scipy.stats

import tf_pixelcnn as tpc
from tests import test_case
from tf_pixelcnn.distributions import logistic_mixture


def _model(shape=(4, 4, 3), levels=256, components=3, **kwargs):
    kwargs.setdefault("num_layers", 3)
    return tpc.GatedPixelCNN(
        shape, filters=6, kernel_size=3, num_levels=levels,
        num_mixture_components=components, **kwargs,
    )  # fmt: skip


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("num_classes", [None, 3])
def test_parameters_of_a_pixel_see_exactly_the_pixels_before_it(channels, num_classes):
    shape = (4, 4, channels)
    model = _model(shape, num_classes=num_classes)
    condition = None if num_classes is None else np.array([0, 2])
    test_case.assert_pixel_causal(model, shape, condition)


def test_log_prob_is_the_sum_of_the_mixture_pixel_log_probs():
    model = _model()
    images = np.random.default_rng(1).integers(0, 256, (2, 4, 4, 3)).astype(np.int32)
    params = model(images)
    assert params.shape == (2, 4, 4, logistic_mixture.num_parameters(3, 3))
    by_hand = logistic_mixture.pixel_log_prob(params, images, 3, 256).numpy().sum(axis=(1, 2))
    np.testing.assert_allclose(model.log_prob(images).numpy(), by_hand, rtol=1e-6)


def test_normalisation_by_enumeration():
    model = _model((1, 2, 3), levels=4, components=2, num_layers=2)
    images = np.array(list(itertools.product(range(4), repeat=6)), np.int32).reshape(-1, 1, 2, 3)
    total = np.exp(model.log_prob(images).numpy().astype(np.float64)).sum()
    assert total == pytest.approx(1.0, abs=1e-5)


def test_samples_follow_the_density():
    model = _model((1, 2, 1), levels=4, components=2, num_layers=2)
    images = np.array(list(itertools.product(range(4), repeat=2)), np.int32).reshape(-1, 1, 2, 1)
    probabilities = np.exp(model.log_prob(images).numpy())
    samples = tpc.sample(model, num_samples=4000, seed=(3, 4)).numpy().reshape(-1, 2)
    counts = np.bincount(samples[:, 0] * 4 + samples[:, 1], minlength=16)
    keep = probabilities * 4000 >= 5
    expected = probabilities[keep] * 4000
    chi2 = ((counts[keep] - expected) ** 2 / expected).sum()
    assert scipy.stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3


def test_map_sampling_is_deterministic_with_one_component_and_tempered_sampling_differs():
    model = _model((3, 3, 3), components=1, num_layers=2)
    first = tpc.sample(model, num_samples=2, seed=(1, 1), mixture_mode="map").numpy()
    second = tpc.sample(model, num_samples=2, seed=(9, 9), mixture_mode="map").numpy()
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first[0], first[1])
    sharp = tpc.sample(model, num_samples=2, seed=(1, 1), log_scale_reduction=2.0).numpy()
    plain = tpc.sample(model, num_samples=2, seed=(1, 1)).numpy()
    assert sharp.shape == plain.shape == (2, 3, 3, 3) and not np.array_equal(sharp, plain)


def test_keras_round_trip():
    model = _model(num_classes=3)
    images = np.zeros((2, 4, 4, 3), np.int32)
    labels = np.array([0, 1])
    loaded = test_case.keras_round_trip(model)
    assert loaded.num_mixture_components == 3
    np.testing.assert_allclose(
        loaded.log_prob(images, condition=labels),
        model.log_prob(images, condition=labels),
        rtol=1e-6,
    )


def test_unsupported_requests_are_named():
    model = _model()
    with pytest.raises(ValueError, match="temperature applies to softmax outputs"):
        tpc.sample(model, num_samples=1, temperature=0.8)
    with pytest.raises(ValueError, match="Received: mixture_mode='mean'"):
        tpc.sample(model, num_samples=1, mixture_mode="mean")
    with pytest.raises(ValueError, match="logistic-mixture models only"):
        tpc.sample(_model(components=None), num_samples=1, log_scale_reduction=1.0)
    with pytest.raises(ValueError, match="num_mixture_components must be >= 1"):
        _model(components=0)
