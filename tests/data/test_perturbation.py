"""Input perturbation (background models, Ren et al. 2019): rate, uniform values,
determinism, exact resumption and sharding, unperturbed evaluation passes."""

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from tf_pixelcnn import data
from tf_pixelcnn.data.perturbation import perturb_image, perturbation_seed

LEVELS = 17


def _take(dataset, count):
    return [{k: v.numpy() for k, v in batch.items()} for batch in dataset.take(count)]


def _digits(**kwargs):
    kwargs.setdefault("num_levels", LEVELS)
    kwargs.setdefault("num_steps", 20)
    return data.make_dataset("digits", global_batch_size=kwargs.pop("batch", 64), **kwargs)


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_replaced_values_follow_the_rate_and_are_uniform_over_the_levels(rate):
    image = tf.fill([100, 100, 20], 5)  # 200,000 sub-pixels, all level 5
    noisy = perturb_image(image, rate, LEVELS, perturbation_seed(4, 123)).numpy()
    counts = np.bincount(noisy.ravel(), minlength=LEVELS)
    assert counts.size == LEVELS  # never a value outside [0, LEVELS)
    # Level v != 5 with probability rate / L; level 5 with 1 - rate + rate / L.
    expected = np.full(LEVELS, rate / LEVELS)
    expected[5] += 1.0 - rate
    chi2 = scipy.stats.chisquare(counts, expected * counts.sum())
    assert chi2.pvalue > 1e-3, (counts, chi2)


def test_the_perturbation_is_a_function_of_the_seed_pair():
    image = tf.zeros([8, 8, 1], tf.int32)
    a, b = (perturb_image(image, 0.5, LEVELS, perturbation_seed(1, 9)) for _ in range(2))
    np.testing.assert_array_equal(a, b)
    for other in (perturbation_seed(2, 9), perturbation_seed(1, 10)):
        assert not np.array_equal(a, perturb_image(image, 0.5, LEVELS, other))


def test_the_training_stream_is_perturbed_at_the_rate_in_the_clean_order():
    clean = _take(_digits(seed=3), 20)
    noisy = _take(_digits(seed=3, perturbation_rate=0.2), 20)
    changed = []
    for x, y in zip(clean, noisy):
        np.testing.assert_array_equal(x["label"], y["label"])  # same records, same order
        assert y["image"].min() >= 0 and y["image"].max() < LEVELS
        changed.append(x["image"] != y["image"])
    # A replaced sub-pixel keeps its value with probability 1/L.
    fraction, expected = np.mean(changed), 0.2 * (1 - 1 / LEVELS)
    sigma = np.sqrt(expected * (1 - expected) / np.size(changed))
    assert abs(fraction - expected) < 5 * sigma, (fraction, expected)


@pytest.mark.parametrize("start_step", [1, 23])  # 1438 records: epoch 1 starts in step 22
def test_a_restarted_perturbed_stream_continues_where_the_uninterrupted_one_is(start_step):
    kwargs = dict(seed=3, num_steps=30, perturbation_rate=0.25)
    full = _take(_digits(**kwargs), 30)
    again = _take(_digits(**kwargs), 30)
    resumed = _take(_digits(start_step=start_step, **kwargs), 30)
    assert len(resumed) == 30 - start_step
    for x, y in zip(full, again):
        np.testing.assert_array_equal(x["image"], y["image"])
    for x, y in zip(full[start_step:], resumed):
        np.testing.assert_array_equal(x["image"], y["image"])


def test_sharded_pipelines_together_read_the_perturbed_global_batch():
    kwargs = dict(batch=16, seed=7, num_steps=4, perturbation_rate=0.3)
    whole = _take(_digits(**kwargs), 4)
    shards = [
        _take(_digits(input_context=tf.distribute.InputContext(2, i, 2), **kwargs), 4)
        for i in range(2)
    ]
    for step in range(4):
        parts = np.stack([shards[i][step]["image"] for i in range(2)], axis=1)
        np.testing.assert_array_equal(
            parts.reshape(whole[step]["image"].shape), whole[step]["image"]
        )


def test_evaluation_passes_are_never_perturbed():
    def test_pass(rate):
        return _take(
            data.make_dataset(
                "digits", "test", global_batch_size=128, training=False, num_levels=LEVELS,
                perturbation_rate=rate,
            ),
            3,
        )  # fmt: skip

    for x, y in zip(test_pass(0.0), test_pass(0.5)):
        np.testing.assert_array_equal(x["image"], y["image"])


@pytest.mark.parametrize("rate", [-0.1, 1.5, True])
def test_a_bad_rate_is_named(rate):
    with pytest.raises(ValueError, match=f"perturbation_rate={rate!r}"):
        _digits(perturbation_rate=rate)
