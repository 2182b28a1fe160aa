"""The checks of the integer images every model takes: their shape and levels when the
model is built, the images themselves when it is called."""

from typing import Sequence, Tuple

import tensorflow as tf


def check_image_shape(
    image_shape: Sequence[int], num_levels: int, max_levels: int = 256
) -> Tuple[int, int, int]:
    """Checks a model's `image_shape` `(height, width, channels)` (channels 1 or 3) and
    `num_levels` (2 to `max_levels`: 256 for images, more for codes); returns the shape
    as a tuple of ints."""
    image_shape = tuple(int(d) for d in image_shape)
    if len(image_shape) != 3 or image_shape[2] not in (1, 3) or min(image_shape) < 1:
        raise ValueError(
            "image_shape must be (height, width, channels) with channels 1 or 3. "
            f"Received: image_shape={image_shape}."
        )
    if not 2 <= num_levels <= max_levels:
        raise ValueError(
            f"num_levels must be in [2, {max_levels}]. Received: num_levels={num_levels}."
        )
    return image_shape


def check_integer_images(images, image_shape: Sequence[int], num_levels: int) -> tf.Tensor:
    """Checks rank, shape and dtype of images `[batch, H, W, C]` now and their range
    `[0, num_levels)` when run; returns them as int32.

    Raises:
        ValueError: the rank, a size or the dtype, with what was expected and received.
        tf.errors.InvalidArgumentError (when run): values outside `[0, num_levels)`, with
            the smallest and largest received.
    """
    images = tf.convert_to_tensor(images)
    expected = f"images must be integers [batch, {', '.join(map(str, image_shape))}] in " + (
        f"[0, num_levels={num_levels})"
    )
    if images.shape.rank != 4:
        raise ValueError(f"{expected}. Received: shape={tuple(images.shape)}.")
    for axis, name in ((1, "height"), (2, "width"), (3, "channels")):
        size = images.shape[axis]
        if size is not None and size != image_shape[axis - 1]:
            raise ValueError(
                f"{expected}: images {name} must be {image_shape[axis - 1]}. Received: "
                f"shape={tuple(images.shape)}."
            )
    if not images.dtype.is_integer:
        raise ValueError(f"{expected}. Received: dtype={images.dtype.name}.")
    lowest = tf.cast(tf.reduce_min(images), tf.int64)  # uint8 cannot hold 256
    highest = tf.cast(tf.reduce_max(images), tf.int64)
    check = tf.debugging.Assert(
        tf.logical_and(lowest >= 0, highest < num_levels),
        [f"images must have values in [0, num_levels={num_levels}); received min", lowest,
         "max", highest],
    )  # fmt: skip
    with tf.control_dependencies([check]):
        return tf.cast(images, tf.int32)
