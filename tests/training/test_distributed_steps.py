"""The distributed steps with auxiliary-variable models: one factor trains alone, evaluation
reports every factor / resolution."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import tf_pixelcnn as tpc
from tf_pixelcnn.models import float32_copy
from tf_pixelcnn.data import load_digits
from tf_pixelcnn.training.distributed_steps import (
    evaluate_distributed,
    make_distributed_eval_step,
    make_distributed_train_step,
)


def _pyramid():
    return tpc.PyramidPixelCNN(
        (8, 8, 1), num_levels=17, num_resolutions=2, base_num_layers=2, base_filters=8,
        num_layers=2, filters=8, kernel_size=3, num_mixture_components=2, condition_filters=4,
    )  # fmt: skip


def _iterator(strategy, batch):
    dataset = tf.data.Dataset.from_tensors(batch).repeat()
    return iter(strategy.experimental_distribute_dataset(dataset))


def _weights(model):
    return [w.numpy().copy() for w in model.weights]


def test_one_factor_trains_alone_on_its_share_of_the_loss():
    model = _pyramid()
    strategy = tf.distribute.get_strategy()
    optimizer = keras.optimizers.Adam(1e-2)
    optimizer.build(model.trainable_variables)
    images = load_digits("train", num_levels=17)[0][:16].astype(np.int32)
    step = make_distributed_train_step(model, optimizer, strategy, 16, factors=["8x8"])
    expected = -model.factor_log_probs(images)["8x8"].numpy().mean() / (64 * np.log(2))
    assert list(model.factor_log_probs(images, factors=["8x8"])) == ["8x8"]  # only it runs
    lower, upper = _weights(model.levels[0]), _weights(model.levels[1])
    loss = float(step(_iterator(strategy, {"image": images})))
    assert loss == pytest.approx(expected, rel=1e-5)
    for before, after in zip(lower, _weights(model.levels[0])):
        np.testing.assert_array_equal(before, after)  # the 4x4 level is untouched
    assert any(not np.array_equal(b, a) for b, a in zip(upper, _weights(model.levels[1])))


def test_unknown_factors_are_named():
    model = _pyramid()
    optimizer = keras.optimizers.Adam(1e-2)
    strategy = tf.distribute.get_strategy()
    with pytest.raises(ValueError, match=r"has \['4x4', '8x8'\]. Received: \['16x16'\]"):
        make_distributed_train_step(model, optimizer, strategy, 16, factors=["16x16"])
    with pytest.raises(ValueError, match="each once"):
        make_distributed_train_step(model, optimizer, strategy, 16, factors=["8x8", "8x8"])
    gated = tpc.GatedPixelCNN((8, 8, 1), num_layers=1, filters=4, kernel_size=3)
    with pytest.raises(ValueError, match="GatedPixelCNN has none"):
        make_distributed_train_step(gated, optimizer, strategy, 16, factors=["colour"])


def test_evaluation_reports_every_resolution():
    model = _pyramid()
    strategy = tf.distribute.get_strategy()
    images = load_digits("test", num_levels=17)[0][:10].astype(np.int32)
    weight = np.array([1.0] * 8 + [0.0] * 2, np.float32)  # two padding records
    means = evaluate_distributed(
        make_distributed_eval_step(model, strategy),
        strategy.experimental_distribute_dataset(
            tf.data.Dataset.from_tensors({"image": images, "weight": weight})
        ),
    )
    report = model.report_bits_per_dim(model.factor_log_probs(images[:8]))
    assert sorted(means) == ["4x4", "8x8", "bits_per_dim"]
    assert means["4x4"] == pytest.approx(float(np.mean(report["4x4"])), rel=1e-5)
    assert means["bits_per_dim"] == pytest.approx(float(np.mean(report["8x8"])), rel=1e-5)


def _tiny_gated(policy):
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        return tpc.GatedPixelCNN((4, 4, 1), num_layers=2, filters=4, kernel_size=3, num_levels=8)
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _one_step(model, optimizer, images, clip_norm):
    strategy = tf.distribute.get_strategy()
    optimizer.build(model.trainable_variables)
    step = make_distributed_train_step(
        model, optimizer, strategy, len(images), gradient_clip_norm=clip_norm
    )
    before = [v.numpy().copy() for v in model.trainable_variables]
    step(_iterator(strategy, {"image": images}))
    return [v.numpy() - b for v, b in zip(model.trainable_variables, before)]


def _norm(deltas):
    return np.sqrt(sum(np.sum(d.astype(np.float64) ** 2) for d in deltas))


def test_clipping_under_loss_scaling_acts_on_unscaled_gradients():
    """mixed_float16 + LossScaleOptimizer: one clipped step moves the weights as the float32
    step with the same clipping (before the fix, the scaled gradients, 2^15 times larger,
    were clipped, and the step was 2^15 times too small)."""
    images = np.random.default_rng(0).integers(0, 8, (8, 4, 4, 1)).astype(np.int32)
    # Seeded: the float16 rounding depends on the initial weights (relative differences
    # of 3e-4 to 5e-3 over six seeds; an unseeded run once gave 5e-2).
    keras.utils.set_random_seed(0)
    reference = _tiny_gated("float32")
    mixed = _tiny_gated("mixed_float16")
    mixed.set_weights(reference.get_weights())
    learning_rate, clip_norm = 0.5, 0.01  # small: the clipping acts (checked below)
    expected = _one_step(reference, keras.optimizers.SGD(learning_rate), images, clip_norm)
    scaling = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(learning_rate))
    actual = _one_step(mixed, scaling, images, clip_norm)
    assert _norm(expected) == pytest.approx(learning_rate * clip_norm, rel=1e-4)
    # Measured: |Δ_mixed − Δ_float32| / |Δ_float32| = 4.8e-4 (float16 forward and backward);
    # clipping the scaled gradients (the old step) gives 1.0: a step 2^15 times too small.
    difference = _norm([a - e for a, e in zip(actual, expected)])
    assert difference < 5e-3 * _norm(expected), difference / _norm(expected)
    assert float(scaling.dynamic_scale) == 2.0**15  # a finite step: the scale is kept


def test_overflowing_scaled_gradients_are_still_skipped_with_clipping():
    """Non-finite gradients stay non-finite through the clipping: the loss-scale optimizer
    skips the step and halves its scale."""
    images = np.random.default_rng(0).integers(0, 8, (8, 4, 4, 1)).astype(np.int32)
    model = _tiny_gated("mixed_float16")
    scaling = keras.optimizers.LossScaleOptimizer(
        keras.optimizers.SGD(0.5), initial_scale=2.0**60  # float16 gradients overflow
    )
    deltas = _one_step(model, scaling, images, clip_norm=0.01)
    assert all(np.all(d == 0) for d in deltas)
    assert float(scaling.dynamic_scale) == 2.0**59


def test_evaluation_of_a_mixed_model_is_its_float32_copy_with_current_weights():
    model = _tiny_gated("mixed_bfloat16")
    strategy = tf.distribute.get_strategy()
    eval_step = make_distributed_eval_step(model, strategy)  # before the weights change
    kernel = model.output_head.logits.kernel
    kernel.assign(tf.random.stateless_normal(kernel.shape, seed=(1, 2), stddev=3.0))
    images = np.random.default_rng(0).integers(0, 8, (4, 4, 4, 1)).astype(np.int32)
    dataset = tf.data.Dataset.from_tensors({"image": images, "weight": np.ones(4, np.float32)})
    means = evaluate_distributed(eval_step, strategy.experimental_distribute_dataset(dataset))
    float32_bits = tpc.bits_per_dim(float32_copy(model).log_prob(images), (4, 4, 1)).numpy()
    assert means["bits_per_dim"] == pytest.approx(float(float32_bits.mean()), rel=1e-6)
    mixed_bits = tpc.bits_per_dim(model.log_prob(images), (4, 4, 1)).numpy()
    assert abs(means["bits_per_dim"] - float(mixed_bits.mean())) > 1e-6  # bfloat16 differs
