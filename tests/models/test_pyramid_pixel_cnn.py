"""Pyramid PixelCNN: exact decomposition over levels, a normalised density whose samples
follow it, every level's sample the subsampled next one, causality, round trip, errors —
for both factorisations of a level's new quarters (`quarters="raster"`, "independent")."""

import itertools

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

import tf_pixelcnn as tpc
from tests import test_case
from tests.models.test_autoregressive_image_model import sharpen_output
from tf_pixelcnn.distributions import logistic_mixture, random_stream

QUARTERS = pytest.mark.parametrize("quarters", ["raster", "independent"])
NEW = ((0, 1), (1, 0), (1, 1))  # the quarters a level adds, in the model's order


def _model(shape=(8, 4, 3), resolutions=3, levels=256, **kwargs):
    return tpc.PyramidPixelCNN(
        shape, num_levels=levels, num_resolutions=resolutions, base_num_layers=2,
        base_filters=8, num_layers=2, filters=8, kernel_size=3, num_mixture_components=3,
        condition_filters=4, **kwargs,
    )  # fmt: skip


def _images(batch=3, shape=(8, 4, 3), levels=256, seed=0):
    return np.random.default_rng(seed).integers(0, levels, (batch, *shape)).astype(np.int32)


def _quarter_condition(lower, quarter, levels=256):
    """a_q by hand: the level below at (r, c), (r, c + 1), (r + 1, c), (r + 1, c + 1) (edge
    repeated), then a one-hot of the quarter scaled to levels − 1."""
    padded = np.pad(lower, [(0, 0), (0, 1), (0, 1), (0, 0)], mode="edge")
    corners = [padded[:, :-1, :-1], padded[:, :-1, 1:], padded[:, 1:, :-1], padded[:, 1:, 1:]]
    one_hot = np.zeros((*lower.shape[:3], 3), np.int32)
    one_hot[..., quarter] = levels - 1
    return np.concatenate([*corners, one_hot], axis=-1)


def _independent_level_by_hand(model, level, image, lower):
    """Σ_q log p_θ(quarter q | a_q): one term per new quarter, `[3, batch]`."""
    return np.stack(
        [
            model.levels[level]
            .log_prob(image[:, dr::2, dc::2], condition=_quarter_condition(lower, q))
            .numpy()
            for q, (dr, dc) in enumerate(NEW)
        ]
    )


@QUARTERS
def test_log_prob_is_the_sum_of_the_levels_new_pixels_by_hand(quarters):
    model = _model(quarters=quarters)
    images = _images()
    x2, x1, x0 = images, images[:, ::2, ::2], images[:, ::4, ::4]  # 8x4, 4x2, 2x1
    by_hand = model.levels[0].log_prob(x0)
    for level, image, lower in ((1, x1, x0), (2, x2, x1)):
        if quarters == "independent":  # three 2x1 / 4x2 quarters given the level below
            assert model.levels[level].image_shape == lower.shape[1:]
            by_hand += _independent_level_by_hand(model, level, image, lower).sum(axis=0)
            continue
        params = model.levels[level](image, condition=lower)
        pixel = logistic_mixture.pixel_log_prob(params, image, 3, 256).numpy()
        pixel[:, ::2, ::2] = 0.0  # copied from the level below: not modelled
        by_hand += pixel.sum(axis=(1, 2))
    np.testing.assert_allclose(model.log_prob(images), by_hand, rtol=1e-5)
    factors = model.factor_log_probs(images)
    assert list(factors) == ["2x1", "4x2", "8x4"]
    report = model.report_bits_per_dim(factors)
    np.testing.assert_allclose(
        report["4x2"], -(factors["2x1"] + factors["4x2"]) / (24 * np.log(2)), rtol=1e-6
    )
    np.testing.assert_allclose(report["8x4"], -model.log_prob(images) / (96 * np.log(2)), rtol=1e-5)


def _every_image(shape, levels):
    size = int(np.prod(shape))
    values = itertools.product(range(levels), repeat=size)
    return np.array(list(values), np.int32).reshape(-1, *shape)


@QUARTERS
def test_sums_to_one_by_enumeration_and_samples_follow_it(quarters):
    model = _model((2, 2, 1), resolutions=2, levels=8, quarters=quarters)
    for level in model.levels:
        sharpen_output(level, scale=1.0)
    images = _every_image((2, 2, 1), 8)  # 4096 images
    probabilities = np.exp(model.log_prob(images).numpy().astype(np.float64))
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-5)
    n = 20000
    drawn = model.sample(num_samples=n, seed=(2, 3)).numpy().reshape(n, 4)
    observed = np.bincount(drawn @ (8 ** np.arange(3, -1, -1)), minlength=4096)
    keep = probabilities * n > 5
    expected = probabilities[keep] * n
    _, p = scipy.stats.chisquare(observed[keep], expected * observed[keep].sum() / expected.sum())
    assert p > 1e-3, p


@QUARTERS
def test_rgb_pyramid_sums_to_one_by_enumeration(quarters):
    model = _model((2, 2, 3), resolutions=2, levels=2, quarters=quarters)
    images = _every_image((2, 2, 3), 2)  # 4096 images
    total = np.exp(model.log_prob(images).numpy().astype(np.float64)).sum()
    np.testing.assert_allclose(total, 1.0, rtol=1e-5)


@QUARTERS
def test_every_conditional_level_is_causal_in_x(quarters):
    model = _model(quarters=quarters)
    for level in model.levels[1:]:  # raster: the HxW image; independent: one quarter
        lower = _images(2, level.condition_image_shape, seed=4)
        test_case.assert_pixel_causal(
            level, level.image_shape, condition=lower, full_receptive_field=False
        )
    test_case.assert_pixel_causal(model.levels[0], model.level_shapes[0])


def test_independent_quarters_see_only_the_level_below():
    """Changing one new quarter of the top level changes its own term and nothing else:
    the other two quarters' terms and every lower level's are unchanged."""
    model = _model(quarters="independent")
    images = _images()
    changed = images.copy()
    changed[:, 1::2, 0::2] = _images(seed=9)[:, 1::2, 0::2]  # quarter 1 of the 8x4 level
    before, after = model.factor_log_probs(images), model.factor_log_probs(changed)
    for name in ("2x1", "4x2"):
        np.testing.assert_array_equal(before[name], after[name])
    lower = images[:, ::2, ::2]
    terms_before = _independent_level_by_hand(model, 2, images, lower)
    terms_after = _independent_level_by_hand(model, 2, changed, lower)
    np.testing.assert_array_equal(terms_before[[0, 2]], terms_after[[0, 2]])
    assert np.all(terms_before[1] != terms_after[1])
    np.testing.assert_allclose(
        after["8x4"] - before["8x4"], terms_after[1] - terms_before[1], rtol=1e-4, atol=1e-3
    )


@QUARTERS
@pytest.mark.parametrize("mode, reduction", [("sample", 0.0), ("sample", 1.0), ("map", 0.0)])
def test_every_level_is_the_next_one_subsampled_and_cached_equals_naive(mode, reduction, quarters):
    model = _model(quarters=quarters)
    seeds = random_stream.per_image_seeds((7, 8), 3)
    uniform = random_stream.uniform_noise(seeds, (model.stream_size,))
    levels = model.draw_levels(uniform, "cached", reduction, mode)
    assert [tuple(x.shape) for x in levels] == [(3, 2, 1, 3), (3, 4, 2, 3), (3, 8, 4, 3)]
    for lower, higher in zip(levels, levels[1:]):
        assert higher.dtype == tf.int32
        assert 0 <= higher.numpy().min() and higher.numpy().max() < 256
        np.testing.assert_array_equal(higher[:, ::2, ::2], lower)
    if mode == "sample":  # (MAP of an untrained model: the means, all near 127)
        assert len(np.unique(levels[-1])) > 10
    kwargs = {"log_scale_reduction": reduction, "mixture_mode": mode}
    naive = model.sample(seed=seeds, method="naive", **kwargs)
    np.testing.assert_array_equal(naive, levels[-1])
    np.testing.assert_array_equal(tpc.sample(model, seed=seeds, jit_compile=False, **kwargs), naive)
    given = model.sample_given(levels[1], seed=(1, 1), **kwargs)
    np.testing.assert_array_equal(given[:, ::2, ::2], levels[1])
    from_lowest = model.sample_given(levels[0], seed=(1, 1), **kwargs)  # 2x1 -> 8x4
    assert from_lowest.shape == (3, 8, 4, 3)
    np.testing.assert_array_equal(from_lowest[:, ::4, ::4], levels[0])


@QUARTERS
def test_keras_round_trip(quarters):
    model = _model(quarters=quarters)
    images = _images()
    loaded = test_case.keras_round_trip(model)
    assert isinstance(loaded, tpc.PyramidPixelCNN) and loaded.get_config() == model.get_config()
    assert loaded.quarters == quarters
    # The default leaves the config as it was before the option (old configs, digests).
    assert ("quarters" in model.get_config()) == (quarters != "raster")
    clone = tpc.PyramidPixelCNN.from_config(model.get_config())
    assert clone.quarters == quarters
    np.testing.assert_allclose(loaded.log_prob(images), model.log_prob(images), rtol=1e-6)
    np.testing.assert_array_equal(
        loaded.sample(num_samples=2, seed=(1, 2)), model.sample(num_samples=2, seed=(1, 2))
    )


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="divisible by 2\\^\\(num_resolutions - 1\\)"):
        _model((6, 4, 3))
    model = _model()
    with pytest.raises(ValueError, match=r"images must be integers \[batch, 8, 4, 3\]"):
        model.log_prob(np.zeros((1, 8, 4, 3), np.float32))
    with pytest.raises(ValueError, match=r"one of \[\(2, 1, 3\), \(4, 2, 3\)\]"):
        model.sample_given(np.zeros((1, 8, 4, 3), np.int32))
    with pytest.raises(ValueError, match="integer images"):
        model.sample_given(np.zeros((1, 4, 2, 3), np.float32))
    with pytest.raises(ValueError, match="instead of temperature"):
        model.sample(num_samples=1, temperature=0.5)
    with pytest.raises(ValueError, match="Received: method='fast'"):
        model.sample(num_samples=1, method="fast")
    with pytest.raises(ValueError, match="has factors \\['2x1', '4x2', '8x4'\\]"):
        model.copy_factor_weights("16x8", model)
    with pytest.raises(ValueError, match="of the same configuration"):
        model.copy_factor_weights("8x4", _model(levels=17))
    with pytest.raises(ValueError, match="of the same configuration"):
        model.copy_factor_weights("8x4", _model(quarters="independent"))
    with pytest.raises(ValueError, match="quarters must be one of .* Received: quarters='rows'"):
        _model(quarters="rows")
    independent = _model(quarters="independent")
    with pytest.raises(ValueError, match="integer images"):
        independent.sample_given(np.zeros((1, 4, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"one of \[\(2, 1, 3\), \(4, 2, 3\)\]"):
        independent.sample_given(np.zeros((1, 8, 4, 3), np.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"values in \[0, num_levels=256\)"):
        independent.sample_given(np.full((1, 4, 2, 3), 256, np.int32))


def test_copy_factor_weights_takes_one_level_only():
    model, other = _model(), _model()
    model.copy_factor_weights("4x2", other)
    for mine, theirs, same in [
        (model.levels[1], other.levels[1], True),
        (model.levels[2], other.levels[2], False),
    ]:
        equal = all(
            np.array_equal(x.numpy(), y.numpy()) for x, y in zip(mine.weights, theirs.weights)
        )
        assert equal == same


def test_head_options_reach_every_level_and_round_trip():
    model = _model(first_kernel_size=5, output_filters=12)
    assert all(level.output_head.hidden_filters == 12 for level in model.factor_models.values())
    assert all(level.blocks[0].kernel_size == 5 for level in model.factor_models.values())
    loaded = test_case.keras_round_trip(model)
    assert loaded.get_config() == model.get_config()
    images = _images()
    np.testing.assert_allclose(loaded.log_prob(images), model.log_prob(images), rtol=1e-6)
