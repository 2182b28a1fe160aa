"""The naive sampler agrees with the density (DESIGN.md check 3) and is seeded per image."""

import itertools

import numpy as np
import pytest
import scipy.stats

import tf_pixelcnn as tpc
from tests.models.test_autoregressive_image_model import sharpen_output


def chi_square_p_value(model, samples, condition=None):
    """p-value of sample counts against exp(log_prob) over every possible image."""
    shape, levels = model.image_shape, model.num_levels
    every_image = np.array(
        list(itertools.product(range(levels), repeat=int(np.prod(shape)))), np.int32
    ).reshape(-1, *shape)
    if condition is not None:
        condition = np.repeat(condition[:1], len(every_image), axis=0)
    probabilities = np.exp(
        model.log_prob(every_image, condition=condition).numpy().astype(np.float64)
    )
    index = {image.tobytes(): i for i, image in enumerate(every_image)}
    counts = np.zeros(len(every_image))
    for image in samples.astype(np.int32):
        counts[index[image.tobytes()]] += 1
    expected = probabilities / probabilities.sum() * len(samples)
    keep = expected >= 5  # pool rare outcomes, as the test requires
    observed = np.append(counts[keep], counts[~keep].sum())
    expected = np.append(expected[keep], expected[~keep].sum())
    if expected[-1] == 0:
        observed, expected = observed[:-1], expected[:-1]
    return scipy.stats.chisquare(observed, expected).pvalue, probabilities


@pytest.mark.parametrize(
    "image_shape, num_levels", [((1, 3, 1), 3), ((1, 1, 3), 3), ((2, 2, 1), 2)]
)
@pytest.mark.parametrize("model_class", [tpc.GatedPixelCNN, tpc.PixelCNN])
def test_sample_frequencies_match_the_density(image_shape, num_levels, model_class):
    model = model_class(image_shape, num_layers=2, filters=6, kernel_size=3, num_levels=num_levels)
    sharpen_output(model, scale=2.0)
    samples = tpc.sample(model, num_samples=4000, seed=(7, 11), method="naive").numpy()
    p_value, probabilities = chi_square_p_value(model, samples)
    assert probabilities.max() > 3.0 / len(probabilities)  # a non-uniform target
    assert p_value > 1e-3, p_value


def test_class_conditional_samples_match_the_conditional_density():
    model = tpc.GatedPixelCNN(
        (1, 2, 3), num_layers=2, filters=6, kernel_size=3, num_levels=2, num_classes=4
    )
    sharpen_output(model, scale=2.0)
    rng = np.random.default_rng(0)
    for block in model.blocks:  # make the classes' distributions clearly different
        kernel = block.horizontal_condition.global_projection.kernel
        kernel.assign(rng.normal(0.0, 2.0, kernel.shape).astype(np.float32))
    labels = np.full([4000], 2, np.int32)
    samples = tpc.sample(model, condition=labels, seed=(3, 4)).numpy()
    p_value, _ = chi_square_p_value(model, samples, condition=labels)
    assert p_value > 1e-3, p_value
    other = tpc.sample(model, condition=np.full([4000], 0, np.int32), seed=(3, 4)).numpy()
    p_value_other, _ = chi_square_p_value(model, other, condition=labels)
    assert p_value_other < 1e-6  # samples of another class do not pass as class 2


def test_same_seed_same_image_whatever_the_batch():
    model = tpc.GatedPixelCNN(
        (3, 3, 3), num_layers=2, filters=6, kernel_size=3, num_levels=8, condition_dim=2
    )
    seeds = np.array([[1, 2], [3, 4], [5, 6]], np.int32)
    condition = np.random.default_rng(0).normal(size=(3, 2)).astype(np.float32)
    reference = {"jit_compile": False}  # exact; XLA: tests/sampling/test_xla_default.py
    batch = tpc.sample(model, condition=condition, seed=seeds, **reference).numpy()
    alone = tpc.sample(model, condition=condition[1:2], seed=seeds[1:2], **reference).numpy()
    np.testing.assert_array_equal(alone[0], batch[1])
    np.testing.assert_array_equal(
        tpc.sample(model, condition=condition, seed=seeds, **reference), batch
    )
    assert batch.dtype == np.int32 and batch.min() >= 0 and batch.max() < 8
    assert np.abs(batch[0] - batch[2]).max() > 0


def test_low_temperature_approaches_greedy_decoding():
    model = tpc.GatedPixelCNN((2, 2, 3), num_layers=2, filters=6, kernel_size=3, num_levels=5)
    sharpen_output(model)
    greedy = np.zeros((1, 2, 2, 3), np.int32)
    for i, j, c in np.ndindex(2, 2, 3):
        greedy[0, i, j, c] = np.argmax(model(greedy)[0, i, j, c])
    cold = tpc.sample(model, num_samples=5, seed=(1, 1), temperature=1e-4).numpy()
    np.testing.assert_array_equal(cold, np.repeat(greedy, 5, axis=0))


def test_bad_arguments_are_named():
    model = tpc.GatedPixelCNN(
        (2, 2, 1), num_layers=1, filters=2, kernel_size=3, num_levels=2, num_classes=3
    )
    with pytest.raises(ValueError, match="method='fast'"):
        tpc.sample(model, num_samples=2, method="fast")
    with pytest.raises(ValueError, match="temperature=0"):
        tpc.sample(model, condition=[0, 1], temperature=0)
    with pytest.raises(ValueError, match="needs condition="):
        tpc.sample(model, num_samples=2)
