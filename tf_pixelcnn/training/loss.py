"""The training objective, defined once: −log p(x) in bits per dimension.

    loss(x) = −Σ_f log p_f(x) / (H·W·C·ln 2)

summed over the model's factors f (one factor for a plain PixelCNN, log p(x) itself; the
grayscale and colour factors of a Grayscale PixelCNN; one per resolution of a Pyramid
PixelCNN). Training a subset of factors (`train.factors`) sums only those. The custom
loop's train and eval steps (`distributed_steps`) and `make_train_step` all call
`bits_per_dim_loss`, so the number the trainer minimises is the number it reports.
"""

from typing import Mapping, Optional, Sequence, Union

import tensorflow as tf

from tf_pixelcnn.distributions import categorical


def bits_per_dim_of(
    log_prob: Union[tf.Tensor, Mapping[str, tf.Tensor]], image_shape: Sequence[int]
) -> tf.Tensor:
    """`float32 [batch]` bits/dim of `log_prob` (nats `[batch]`, or a mapping factor name
    → nats `[batch]`, summed) for images of `image_shape` (H, W, C)."""
    if isinstance(log_prob, Mapping):
        log_prob = tf.add_n(list(log_prob.values()))
    return categorical.bits_per_dim(log_prob, image_shape)


def bits_per_dim_loss(
    model,
    images: tf.Tensor,
    condition=None,
    training: bool = False,
    factors: Optional[Sequence[str]] = None,
) -> tf.Tensor:
    """`float32 [batch]`: −log p(x | condition) / (H·W·C·ln 2), or with `factors` (names
    of a Grayscale / Pyramid PixelCNN's factors) −Σ of those factors' log-likelihoods per
    dimension of x (only those factors run).

    Example:
        >>> model = tpc.GatedPixelCNN((4, 4, 1), num_layers=1, filters=2, kernel_size=3,
        ...                           num_levels=4)
        >>> bits_per_dim_loss(model, tf.zeros([2, 4, 4, 1], tf.int32)).shape
        TensorShape([2])
    """
    if factors:
        log_probs = model.factor_log_probs(images, training=training, factors=factors)
        return bits_per_dim_of({name: log_probs[name] for name in factors}, model.image_shape)
    if condition is None:
        log_prob = model.log_prob(images, training=training)
    else:
        log_prob = model.log_prob(images, condition=condition, training=training)
    return bits_per_dim_of(log_prob, model.image_shape)
