"""Average bits per dimension of a model over a set of images."""

import numpy as np
import tensorflow as tf

from tf_pixelcnn import likelihood


def evaluate_bits_per_dim(model, images, condition=None, batch_size: int = 256) -> float:
    """Mean bits/dim of `images` (`[N, H, W, C]` integers) under `model`.

    Args:
        model: a model with `log_prob` and `image_shape`.
        images: integer `[N, H, W, C]`.
        condition: labels `[N]` or vectors `[N, D]` for conditional models, else None.
        batch_size: images per forward pass.
    """
    log_prob = tf.function(
        lambda x, c: model.log_prob(x) if c is None else model.log_prob(x, condition=c),
        reduce_retracing=True,
    )
    total, count = 0.0, 0
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        batch_condition = None if condition is None else condition[start : start + batch_size]
        bits = likelihood.bits_per_dim(log_prob(batch, batch_condition), model.image_shape)
        total += float(np.sum(bits.numpy()))
        count += len(batch)
    return total / count
