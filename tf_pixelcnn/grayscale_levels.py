"""The Grayscale PixelCNN's auxiliary variable x̂ — the luma quantised to a few levels — and
the colours consistent with it (Kolesnikov & Lampert 2017, §3.1).

Luma in integers, so the data, the likelihood and the sampler agree to the bit:

    y = round((299 R + 587 G + 114 B) / 1000)    in [0, L)   (ITU-R BT.601 weights)
    x̂ = floor(y · G / L)                           in [0, G)   (G = 16: 4 bits)

y is non-decreasing in every channel and moves by at most one level when a channel moves
by one, so the values of a channel consistent with x̂ and the channels before it form an
interval [low, high]: `channel_bounds`. The colour model draws R, then G, then B inside
these intervals, and every image it draws has grayscale x̂ exactly.
"""

import tensorflow as tf

LUMA_WEIGHTS_PER_MILLE = (299, 587, 114)


def _level(weighted_sum, num_levels: int, grayscale_levels: int):
    """x̂ from Σ w_c x_c (weights per mille)."""
    return ((weighted_sum + 500) // 1000) * grayscale_levels // num_levels


def grayscale_levels(images, num_levels: int = 256, grayscale_levels: int = 16) -> tf.Tensor:
    """x̂ of RGB images `int [..., 3]` in [0, L): `int32 [..., 1]` in [0, grayscale_levels).

    Example:
        >>> pixels = tf.constant([[0, 0, 0], [255, 255, 255], [255, 0, 0]])
        >>> grayscale_levels(pixels).numpy().ravel().tolist()
        [0, 15, 4]
    """
    images = tf.cast(images, tf.int32)
    weighted = tf.reduce_sum(images * tf.constant(LUMA_WEIGHTS_PER_MILLE), axis=-1, keepdims=True)
    return _level(weighted, num_levels, grayscale_levels)


def channel_bounds(
    grayscale, earlier_values, num_levels: int = 256, grayscale_levels: int = 16
) -> tuple:
    """The interval of channel c = len(earlier_values) consistent with x̂ and the earlier
    channels: some completion of the later channels has grayscale x̂.

    Args:
        grayscale: x̂, `int [...]`.
        earlier_values: the values of channels 0 … c−1, each `int [...]` (c ≤ 2).

    Returns:
        `(low, high)`, `int32 [...]` each, with low ≤ high for every reachable x̂.
    """
    weights = LUMA_WEIGHTS_PER_MILLE
    channel = len(earlier_values)
    grayscale = tf.cast(grayscale, tf.int32)[..., None]
    known = sum(w * tf.cast(v, tf.int32) for w, v in zip(weights, earlier_values))
    candidates = tf.range(num_levels, dtype=tf.int32) * weights[channel]  # (L,)
    lowest = candidates + (known[..., None] if channel else 0)  # later channels at 0
    highest = lowest + sum(weights[channel + 1 :]) * (num_levels - 1)  # later ones at L − 1
    too_dark = _level(highest, num_levels, grayscale_levels) < grayscale  # a prefix
    too_bright = _level(lowest, num_levels, grayscale_levels) > grayscale  # a suffix
    low = tf.reduce_sum(tf.cast(too_dark, tf.int32), axis=-1)
    high = num_levels - 1 - tf.reduce_sum(tf.cast(too_bright, tf.int32), axis=-1)
    return low, high
