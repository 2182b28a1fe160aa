"""Per-image preprocessing: crop, resize, grayscale and quantisation to `num_levels`."""

from typing import Optional, Sequence

import tensorflow as tf

from tf_pixelcnn.grayscale_levels import LUMA_WEIGHTS_PER_MILLE

# ITU-R BT.601 luma weights: the Grayscale PixelCNN's x̂ uses the same ones.
LUMA_WEIGHTS = tuple(weight / 1000 for weight in LUMA_WEIGHTS_PER_MILLE)


def crop_box(image: tf.Tensor, box: Optional[Sequence[int]]) -> tf.Tensor:
    """Crops `image` `[H, W, C]` to `box = (top, left, height, width)`; None keeps it."""
    if box is None:
        return image
    top, left, height, width = (int(v) for v in box)
    return tf.image.crop_to_bounding_box(image, top, left, height, width)


def resize(image: tf.Tensor, size: Sequence[int]) -> tf.Tensor:
    """Resizes `image` `[h, w, C]` (any dtype) to `size = (H, W)`, area-averaged when shrinking.

    Returns float32 `[H, W, C]` in the input's value range.
    """
    image = tf.cast(image, tf.float32)
    return tf.image.resize(image, size, method="area", antialias=True)


def to_grayscale(image: tf.Tensor) -> tf.Tensor:
    """`[H, W, 3]` -> `[H, W, 1]` luma (float32, same value range); `[H, W, 1]` passes through."""
    image = tf.cast(image, tf.float32)
    if image.shape[-1] == 1:
        return image
    return tf.reduce_sum(image * tf.constant(LUMA_WEIGHTS), axis=-1, keepdims=True)


def quantize(image: tf.Tensor, num_levels: int, max_value: int = 255) -> tf.Tensor:
    """Maps values in `[0, max_value]` to the integers `[0, num_levels)`, as int32.

    `level = floor(round(v) * num_levels / (max_value + 1))`: equal-width bins of the
    stored values (for num_levels = max_value + 1 the values are kept as they are).

    Example:
        >>> quantize(tf.constant([0, 15, 16, 255]), num_levels=16).numpy().tolist()
        [0, 0, 1, 15]
    """
    values = tf.clip_by_value(tf.round(tf.cast(image, tf.float32)), 0.0, float(max_value))
    levels = tf.floor(values * (num_levels / (max_value + 1.0)))
    return tf.cast(tf.minimum(levels, num_levels - 1), tf.int32)
