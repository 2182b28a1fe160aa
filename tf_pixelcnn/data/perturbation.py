"""Input perturbation for background models: sub-pixels replaced by uniform levels.

Ren et al. (2019) train the background model of a likelihood-ratio outlier score on
inputs whose sub-pixels are each, independently with probability μ, replaced by a value
drawn uniformly from the `num_levels` levels: the corruption destroys the semantic
content of an image but keeps population-level statistics (background pixels, the
overall value histogram), which the background model then learns on its own.

The noise is a function of `(seed, position)` only — stateless random ops, no state
carried between records — so a training stream restarted at any step perturbs every
record exactly as the uninterrupted stream does.
"""

from typing import Union

import tensorflow as tf

# Folded into the (seed, position) pair so the perturbation draws never coincide with
# another stateless draw keyed by the same pair (e.g. the per-epoch index shuffle).
_PERTURBATION_SALT = 0x5EED_0012


def check_perturbation_rate(perturbation_rate: float) -> float:
    """`perturbation_rate` as a float in [0, 1]; a clear error otherwise."""
    if isinstance(perturbation_rate, bool) or not 0.0 <= float(perturbation_rate) <= 1.0:
        raise ValueError(
            "perturbation_rate must be a probability in [0, 1]. "
            f"Received: perturbation_rate={perturbation_rate!r}."
        )
    return float(perturbation_rate)


def perturbation_seed(seed: Union[int, tf.Tensor], position: tf.Tensor) -> tf.Tensor:
    """The stateless seed `int64 [2]` of the record at stream `position` of a `seed` run."""
    pair = tf.stack([tf.cast(seed, tf.int64), tf.cast(position, tf.int64)])
    return tf.random.experimental.stateless_fold_in(pair, _PERTURBATION_SALT)


def perturb_image(
    image: tf.Tensor, perturbation_rate: float, num_levels: int, seed: tf.Tensor
) -> tf.Tensor:
    """Replaces each sub-pixel of `image`, with probability `perturbation_rate`, by a
    level drawn uniformly from `[0, num_levels)` (which may equal the old value).

    x̃_i = u_i if b_i else x_i,   b_i ~ Bernoulli(μ),  u_i ~ Uniform{0, ..., L-1},
    independently for every sub-pixel i.

    Args:
        image: Integer levels `[height, width, channels]` (or any shape) in
            `[0, num_levels)`.
        perturbation_rate: μ, the probability that a sub-pixel is replaced.
        num_levels: L, the number of levels.
        seed: A stateless seed `[2]` (`perturbation_seed(seed, position)`): the same
            seed gives the same perturbation.

    Returns:
        The perturbed image, same shape and dtype.

    Example:
        >>> image = tf.zeros([8, 8, 1], tf.int32)
        >>> noisy = perturb_image(image, 0.2, 17, perturbation_seed(0, 5))
        >>> noisy.shape
        TensorShape([8, 8, 1])

    References:
        Ren, Liu, Fertig, Snoek, Poplin, DePristo, Dillon, Lakshminarayanan, "Likelihood
        Ratios for Out-of-Distribution Detection", NeurIPS 2019, §3.1 (the perturbation
        of the background model's inputs).
    """
    replace_seed, value_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    shape = tf.shape(image)
    replace = tf.random.stateless_uniform(shape, replace_seed) < perturbation_rate
    values = tf.random.stateless_uniform(
        shape, value_seed, minval=0, maxval=num_levels, dtype=tf.int32
    )
    return tf.where(replace, tf.cast(values, image.dtype), image)
