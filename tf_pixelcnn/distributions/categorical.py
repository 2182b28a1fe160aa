"""A softmax over the levels of every sub-pixel (`Categorical`), log-likelihoods, bits/dim.

Sub-pixel k of a pixel has its own logits given the pixel's earlier sub-pixels (van den
Oord et al. 2016, §2): the network runs one colour group per sub-pixel, and each
sub-pixel is drawn with its own uniform number.
"""

import dataclasses
import math
from typing import Sequence

import tensorflow as tf

from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.distributions.pixel_distribution import PixelDistribution, check_sizes


@dataclasses.dataclass(frozen=True)
class Categorical(PixelDistribution):
    """softmax(logits) over `num_levels` values for each of a pixel's `channels` sub-pixels.

    Outputs per sub-pixel: `num_levels` logits; random stream: one uniform per sub-pixel.

    Example:
        >>> softmax = Categorical(num_levels=4, channels=1)
        >>> logits = tf.math.log([[0.1, 0.2, 0.3, 0.4]])
        >>> softmax.draw(logits, tf.constant([0.25])).numpy().tolist()  # 0.1 + 0.2 > 0.25
        [1]
    """

    num_levels: int
    channels: int

    whole_pixel = False

    def __post_init__(self):
        check_sizes(num_levels=self.num_levels, channels=self.channels)

    @property
    def outputs_per_group(self) -> int:
        return self.num_levels

    @property
    def uniforms_per_pixel(self) -> int:
        return self.channels

    def log_prob(self, logits: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
        """log p(x_k | x_<k) of every sub-pixel, `float32 [..., C]`.

        Args:
            logits: `[..., C, num_levels]`.
            images: integer `[..., C]` in `[0, num_levels)`.
        """
        return pixel_log_prob_from_logits(logits, images)

    def draw(self, logits: tf.Tensor, uniform: tf.Tensor, temperature=1.0) -> tf.Tensor:
        """One sub-pixel by inverse CDF from softmax(logits / temperature), `int32 [...]`.

        Args:
            logits: `[..., num_levels]`.
            uniform: `[...]` in [0, 1): the sub-pixel's number of the random stream.
            temperature: > 0; below 1 sharpens the distribution.
        """
        return random_stream.inverse_cdf_sample(logits, uniform, temperature)

    def coder_table(self, logits: tf.Tensor) -> tf.Tensor:
        """The range coder's table of one sub-pixel: exp(logits − max), `float32 [..., L]`,
        probabilities up to one factor per sub-pixel (the coder normalises)."""
        return tf.exp(logits - tf.reduce_max(logits, axis=-1, keepdims=True))

    def check_draw_options(
        self, temperature=1.0, log_scale_reduction=0.0, mixture_mode: str = "sample"
    ) -> None:
        """A softmax is sharpened by `temperature` only; see `PixelDistribution`."""
        super().check_draw_options(temperature, log_scale_reduction, mixture_mode)
        if log_scale_reduction or mixture_mode != "sample":
            raise ValueError(
                "log_scale_reduction and mixture_mode apply to logistic-mixture models only. "
                f"Received: log_scale_reduction={log_scale_reduction}, "
                f"mixture_mode={mixture_mode!r} for a softmax output."
            )


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
