"""Log-likelihood of integer images under per-sub-pixel categorical logits."""

import math
from typing import Sequence

import tensorflow as tf


def log_prob_from_logits(logits: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
    """Sums log-softmax probabilities of the observed values.

    Args:
        logits: `[batch, height, width, channels, num_levels]`.
        images: integer `[batch, height, width, channels]` in `[0, num_levels)`.

    Returns:
        `float32 [batch]`, log p(x) in nats.
    """
    return tf.reduce_sum(pixel_log_prob_from_logits(logits, images), axis=[1, 2, 3])


def pixel_log_prob_from_logits(logits: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
    """`float32 [batch, height, width, channels]`: log p(x_i | x_<i) of every sub-pixel."""
    logits = tf.cast(logits, tf.float32)
    return -tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(images, tf.int32), logits=logits
    )


def bits_per_dim(log_prob, image_shape: Sequence[int]):
    """Converts log p(x) in nats to bits per sub-pixel: −log p(x) / (H·W·C·ln 2).

    Args:
        log_prob: log-likelihoods in nats, any shape (e.g. `[batch]`).
        image_shape: `(height, width, channels)`.

    Example:
        >>> float(bits_per_dim(-8 * math.log(2.0) * 12, (2, 2, 3)))
        8.0
    """
    if len(image_shape) != 3:
        raise ValueError(
            f"image_shape must be (height, width, channels). Received: image_shape={image_shape}."
        )
    num_dims = math.prod(int(d) for d in image_shape)
    return -tf.cast(log_prob, tf.float32) / (num_dims * math.log(2.0))
