"""The random stream of sampling: one uniform number per image and sub-pixel.

Every sampler draws sub-pixel (r, c, k) of image b by inverse-CDF sampling with the
uniform number u[b, r, c, k], which depends only on image b's seed. The same seed
therefore gives the same image whatever the sampler (naive or cached), the batch size or
the other images in the batch, in-process and in a SavedModel. Only stateless random ops
are used, with the Philox algorithm named explicitly: the default ("auto_select") picks
a different generator under XLA and on other devices.
"""

from typing import Sequence

import tensorflow as tf

ALGORITHM = tf.random.Algorithm.PHILOX


def per_image_seeds(seed, num_samples=None) -> tf.Tensor:
    """`int32 [num_samples, 2]` seeds, one per image.

    Args:
        seed: `[2]` (split into `num_samples` seeds) or `[batch, 2]` (one per image, used
            as given).
        num_samples: Images to draw; needed with a `[2]` seed, checked with `[batch, 2]`.
    """
    seed = tf.convert_to_tensor(seed)
    if not seed.dtype.is_integer:
        raise ValueError(f"seed must be integers. Received: dtype={seed.dtype.name}.")
    seed = tf.cast(seed, tf.int32)
    if seed.shape.rank == 1 and seed.shape[0] == 2:
        if num_samples is None:
            raise ValueError("With a single seed of shape [2], give num_samples.")
        split = tf.random.experimental.stateless_split(seed, num_samples, alg=ALGORITHM)
        return tf.cast(split, tf.int32)
    if seed.shape.rank == 2 and seed.shape[1] == 2:
        if num_samples is not None and seed.shape[0] is not None and seed.shape[0] != num_samples:
            raise ValueError(
                f"seed has one row per image, so its batch must equal num_samples. Received: "
                f"seed shape={tuple(seed.shape)}, num_samples={num_samples}."
            )
        return seed
    raise ValueError(
        f"seed must have shape [2] or [batch, 2]. Received: shape={tuple(seed.shape)}."
    )


def uniform_noise(seeds: tf.Tensor, image_shape: Sequence[int]) -> tf.Tensor:
    """`float32 [batch, *image_shape]` in [0, 1): image b's numbers come from `seeds[b]` alone.

    `image_shape` of a sampler's stream: `PixelDistribution.stream_shape(H, W)` of the
    model's `pixel_distribution` (one number per sub-pixel for a softmax, 1 + C per pixel
    for a logistic mixture)."""
    shape = [int(d) for d in image_shape]
    return tf.map_fn(
        lambda s: tf.random.stateless_uniform(shape, seed=s, alg=ALGORITHM),
        seeds,
        fn_output_signature=tf.TensorSpec(shape, tf.float32),
    )


# `uniform_noise` traced once per stream shape (an eager map_fn costs ~2 ms per image). The
# samplers draw the stream with it outside their (possibly XLA-compiled) graph: XLA's
# stateless generators give other numbers than TensorFlow's kernels.
traced_uniform_noise = tf.function(uniform_noise, reduce_retracing=True)


def inverse_cdf_sample(logits: tf.Tensor, uniform: tf.Tensor, temperature=1.0) -> tf.Tensor:
    """Draws from softmax(logits / temperature) with given uniforms.

    Args:
        logits: `[..., num_levels]`.
        uniform: `[...]` in [0, 1).
        temperature: > 0; below 1 sharpens the distribution.

    Returns:
        `int32 [...]`: the smallest level whose cumulative probability exceeds `uniform`.
    """
    logits = tf.cast(logits, tf.float32) / temperature
    cdf = tf.cumsum(tf.nn.softmax(logits, axis=-1), axis=-1)
    below = tf.cast(cdf <= uniform[..., None], tf.int32)
    return tf.minimum(tf.reduce_sum(below, axis=-1), tf.shape(logits)[-1] - 1)
