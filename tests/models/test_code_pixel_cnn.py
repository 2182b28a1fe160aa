"""`CodePixelCNN`: the density checks (docs/design.md, "Checks") on a prior over codes."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tests.models.test_autoregressive_image_model import sharpen_output
from tf_pixelcnn.distributions.categorical import Categorical
from tests.sampling.test_naive import chi_square_p_value
from tests.test_case import dependency, keras_round_trip

SMALL = dict(embedding_dim=6, num_layers=2, filters=8, kernel_size=3)


def every_grid(grid_shape, num_codes):
    """Every code grid `int32 [K^(h·w), h, w, 1]`."""
    cells = int(np.prod(grid_shape))
    grids = itertools.product(range(num_codes), repeat=cells)
    return np.array(list(grids), np.int32).reshape(-1, *grid_shape, 1)


def random_codes(shape, num_codes, seed=0):
    return np.random.default_rng(seed).integers(0, num_codes, shape).astype(np.int32)


def test_logits_see_every_earlier_code_and_nothing_else():
    """Check 1 through the embedding: the logits at (i, j) depend on the embedded codes
    of every earlier position (no blind spot) and of none at or after (i, j)."""
    model = tpc.CodePixelCNN(
        grid_shape=(4, 5), num_codes=7, embedding_dim=6, num_layers=2, filters=8, kernel_size=5
    )  # receptive field: ⌊5/2⌋·2 = 4 columns either side, the whole grid
    features = np.random.default_rng(0).normal(size=(2, 4, 5, 6)).astype(np.float32)
    depends = dependency(lambda x: model.logits_from_float(x), features)  # (4,5,1,4,5,6)
    seen = depends[:, :, 0].any(axis=-1)  # (4, 5, 4, 5): position sees position
    order = np.arange(20).reshape(4, 5)
    earlier = order[None, None] < order[:, :, None, None]
    assert not np.any(seen & ~earlier), np.argwhere(seen & ~earlier)[:5]
    assert np.all(seen == earlier)


def test_codes_enter_through_the_embedding_not_their_value():
    """Swapping two codes' embedding rows swaps what the model makes of them: no order."""
    model = tpc.CodePixelCNN(grid_shape=(2, 2), num_codes=5, **SMALL)
    codes = np.array([[[[1], [3]], [[0], [2]]]], np.int32)
    swapped = np.where(codes == 1, 3, np.where(codes == 3, 1, codes))
    logits = model(codes)
    table = model.code_embedding.embeddings
    rows = table.numpy()
    rows[[1, 3]] = rows[[3, 1]]
    table.assign(rows)
    np.testing.assert_allclose(model(swapped), logits, atol=1e-6)


@pytest.mark.parametrize(
    "condition_kind", ["none", "labels", "code_map"],
)
def test_probabilities_of_every_grid_sum_to_one(condition_kind):
    """Check 2: Σ over all K^(h·w) grids of p(z | condition) = 1."""
    kwargs = dict(SMALL)
    condition = None
    if condition_kind == "labels":
        kwargs["num_classes"] = 3
        condition = np.full([1], 2, np.int32)
    if condition_kind == "code_map":
        kwargs.update(condition_grid_shape=(1, 2), condition_num_codes=300)
        condition = random_codes([1, 1, 2, 1], 300)
    model = tpc.CodePixelCNN(grid_shape=(2, 2), num_codes=4, **kwargs)
    sharpen_output(model)
    grids = every_grid((2, 2), 4)
    if condition is not None:
        condition = np.repeat(condition, len(grids), axis=0)
    total = np.exp(model.log_prob(grids, condition=condition).numpy().astype(np.float64)).sum()
    assert total == pytest.approx(1.0, abs=1e-5)


def test_condition_changes_the_distribution():
    model = tpc.CodePixelCNN(
        grid_shape=(3, 3), num_codes=10, condition_grid_shape=(2, 2), condition_num_codes=50,
        **SMALL,
    )  # fmt: skip
    codes = random_codes([2, 3, 3, 1], 10)
    maps = random_codes([2, 2, 2, 1], 50)
    first = model.log_prob(codes, condition=maps).numpy()
    second = model.log_prob(codes, condition=maps[::-1]).numpy()
    assert not np.allclose(first, second)


@pytest.mark.parametrize("method", ["cached", "naive"])
def test_samples_follow_the_density(method):
    """Check 3: χ² of 3,000 sampled 1×3 grids (K = 3) against exp(log_prob)."""
    model = tpc.CodePixelCNN(grid_shape=(1, 3), num_codes=3, **SMALL)
    sharpen_output(model, seed=1)
    samples = tpc.sample(model, num_samples=3000, seed=(4, 5), method=method).numpy()
    p_value, probabilities = chi_square_p_value(model, samples)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert p_value > 1e-3


@pytest.mark.parametrize("conditioned", [False, True])
def test_cached_and_naive_samplers_draw_the_same_codes(conditioned):
    """Check 4 at a large K: the cached sampler's codes equal the naive sampler's."""
    kwargs = dict(num_classes=4, spatial_condition=True) if conditioned else {}
    model = tpc.CodePixelCNN(grid_shape=(4, 4), num_codes=4096, **SMALL, **kwargs)
    sharpen_output(model, scale=0.5)
    labels = np.array([0, 3, 1], np.int32) if conditioned else None
    cached = tpc.sample(
        model, 3, condition=labels, seed=(1, 2), method="cached", jit_compile=False
    )  # the reference graph (tests/sampling/test_xla_default.py compares XLA with it)
    naive = tpc.sample(model, 3, condition=labels, seed=(1, 2), method="naive")
    np.testing.assert_array_equal(cached, naive)
    assert cached.shape == (3, 4, 4, 1) and cached.dtype == tf.int32
    assert len(np.unique(cached)) > 20  # thousands of codes: not a handful repeated


def test_completion_keeps_the_given_rows():
    model = tpc.CodePixelCNN(grid_shape=(4, 4), num_codes=30, **SMALL)
    codes = random_codes([2, 4, 4, 1], 30)
    completed = tpc.complete(model, codes, known_mask=2, seed=(1, 1)).numpy()
    np.testing.assert_array_equal(completed[:, :2], codes[:, :2])
    assert completed.min() >= 0 and completed.max() < 30


def test_keras_file_round_trip_keeps_the_density():
    model = tpc.CodePixelCNN(
        grid_shape=(3, 4), num_codes=600, condition_grid_shape=(2, 2), condition_num_codes=20,
        output_filters=16, **SMALL,
    )  # fmt: skip
    codes, maps = random_codes([2, 3, 4, 1], 600), random_codes([2, 2, 2, 1], 20)
    loaded = keras_round_trip(model)
    assert isinstance(loaded, tpc.CodePixelCNN)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(
        loaded.log_prob(codes, condition=maps), model.log_prob(codes, condition=maps), rtol=1e-6
    )


def test_the_factorisation_describes_a_softmax_over_codes():
    model = tpc.CodePixelCNN(grid_shape=(3, 3), num_codes=4096, num_classes=10, **SMALL)
    (factor,) = model.factors()
    assert factor.pixel_distribution == Categorical(4096, 1)
    assert model.condition_spec.kind == "labels" and model.model_kind == "CodePixelCNN"
    assert model.image_shape == (3, 3, 1) and model.num_codes == 4096


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_codes": 1}, "num_levels must be in \\[2, 65535\\]. Received: num_levels=1"),
        ({"num_codes": 65536}, "num_levels=65536"),
        ({"grid_shape": (4,)}, r"grid_shape must be \(height, width\)"),
        ({"embedding_dim": 0}, "embedding_dim=0"),
        ({"condition_grid_shape": (2, 2)}, "needs condition_num_codes"),
        (
            {"condition_grid_shape": (2, 2), "condition_num_codes": 9, "num_classes": 3},
            "not with num_classes",
        ),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    arguments = dict(grid_shape=(4, 4), num_codes=16, **SMALL)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        tpc.CodePixelCNN(**arguments)


def test_codes_out_of_range_are_refused_with_what_was_received():
    model = tpc.CodePixelCNN(grid_shape=(2, 2), num_codes=16, **SMALL)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_levels=16"):
        model.log_prob(np.full([1, 2, 2, 1], 16, np.int32))
    with pytest.raises(ValueError, match="channels must be 1"):
        model.log_prob(np.zeros([1, 2, 2, 3], np.int32))


def test_mixed_precision_embeds_in_the_compute_dtype():
    model = tpc.CodePixelCNN(grid_shape=(2, 2), num_codes=16, dtype="mixed_bfloat16", **SMALL)
    features = model.input_features(tf.zeros([1, 2, 2, 1], tf.int32))
    assert features.dtype == tf.bfloat16 and features.shape == (1, 2, 2, 6)
    assert model.log_prob(np.zeros([1, 2, 2, 1], np.int32)).dtype == tf.float32
