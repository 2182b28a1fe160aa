"""Shared test harness: causality, layer config round trips, `.keras` round trips."""

import os
import tempfile

import keras
import numpy as np
import tensorflow as tf


def raster_order_index(height: int, width: int, channels: int) -> np.ndarray:
    """`[H, W, C]` position of every sub-pixel in raster-then-channel order."""
    return np.arange(height * width * channels).reshape(height, width, channels)


def dependency(fn, inputs, output_weights_seed: int = 0) -> np.ndarray:
    """Which outputs depend on which inputs, from exact-zero tests on the Jacobian.

    Args:
        fn: float `[B, H, W, Cin]` -> `[B, H', W', ...]` (trailing axes beyond the fourth,
            e.g. the levels of logits, are summed with random weights).
        inputs: float `[B, H, W, Cin]`; a dependency counts if any batch element shows it.

    Returns:
        bool `[H', W', C', H, W, Cin]`: `True` where d output / d input is non-zero.
    """
    inputs = tf.convert_to_tensor(inputs, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = fn(inputs)
        if outputs.shape.rank > 4:
            trailing = outputs.shape[4:]
            weights = tf.random.stateless_normal(trailing, seed=(output_weights_seed, 7))
            outputs = tf.reduce_sum(outputs * weights, axis=list(range(4, outputs.shape.rank)))
        flat = tf.reshape(outputs, [outputs.shape[0], -1])
    jacobian = tape.batch_jacobian(flat, inputs)  # (B, H'W'C', H, W, Cin)
    depends = np.any(jacobian.numpy() != 0.0, axis=0)
    return depends.reshape(outputs.shape[1:4] + inputs.shape[1:])


def strictly_earlier(height: int, width: int, channels: int) -> np.ndarray:
    """bool `[H, W, C, H, W, C]`: input sub-pixel comes strictly before output sub-pixel."""
    order = raster_order_index(height, width, channels)
    return order[None, None, None] < order[:, :, :, None, None, None]


def assert_causal(model, image_shape, condition=None, full_receptive_field=False, batch=2):
    """DESIGN.md check 1 on a model's `logits_from_float`.

    The logits of sub-pixel (i, j, c) must not depend on (i, j, c) itself or anything
    after it. With `full_receptive_field`, they must also depend on every earlier
    sub-pixel (no blind spot, for models whose receptive field covers the image).
    """
    inputs = np.random.default_rng(0).uniform(-1, 1, (batch, *image_shape)).astype(np.float32)
    depends = dependency(lambda x: model.logits_from_float(x, condition), inputs)
    allowed = strictly_earlier(*image_shape)
    leaks = np.argwhere(depends & ~allowed)
    assert leaks.size == 0, f"output (i, j, c) sees input (i', j', c') at or after it: {leaks[:5]}"
    if full_receptive_field:
        missing = np.argwhere(allowed & ~depends)
        assert missing.size == 0, f"output does not see an earlier sub-pixel: {missing[:5]}"
    return depends


def assert_pixel_causal(model, image_shape, condition=None, batch=2, full_receptive_field=True):
    """Check 1 for a logistic-mixture model: the parameters of pixel (i, j) depend on every
    earlier pixel and on nothing at or after (i, j) (the pixel's channels are joint)."""
    height, width, _ = image_shape
    inputs = np.random.default_rng(0).uniform(-1, 1, (batch, *image_shape)).astype(np.float32)
    depends = dependency(lambda x: model.logits_from_float(x, condition), inputs)
    order = np.arange(height * width).reshape(height, width)
    earlier = order[None, None, None, :, :, None] < order[:, :, None, None, None, None]
    allowed = np.broadcast_to(earlier, depends.shape)
    leaks = np.argwhere(depends & ~allowed)
    assert leaks.size == 0, f"parameters of (i, j) see a pixel at or after it: {leaks[:5]}"
    if full_receptive_field:
        assert np.all(depends.any(axis=2) == allowed.any(axis=2)), "an earlier pixel is not seen"


def assert_layer_config_round_trip(layer, inputs, **call_kwargs):
    """`from_config(get_config())` builds a layer that, with the same weights, computes the same."""
    expected = layer(inputs, **call_kwargs)
    clone = layer.__class__.from_config(layer.get_config())
    clone(inputs, **call_kwargs)  # builds the clone's weights
    clone.set_weights(layer.get_weights())
    actual = clone(inputs, **call_kwargs)
    tf.nest.map_structure(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6), expected, actual
    )
    serialized = keras.saving.serialize_keras_object(layer)
    revived = keras.saving.deserialize_keras_object(serialized)
    assert type(revived) is type(layer)
    assert revived.get_config() == layer.get_config()


def keras_round_trip(model):
    """Saves `model` to a `.keras` file and loads it back."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.keras")
        model.save(path)
        return keras.saving.load_model(path)
