"""PNG files <-> integer images at a model's levels, without silent loss.

A PNG holds 8-bit values; a model codes `num_levels` values per sub-pixel. Reading
quantises as the training data are (`data.image_preprocessing.quantize`:
ℓ = floor(v·L/256)); writing puts level ℓ at round(ℓ·255/(L−1)) (as
`utils.image_grid.image_grid`), so a PNG written here reads back to the same levels. A
PNG with values that do not survive that round trip has more values than the model's
levels: reading it is lossy, and refused unless asked for.
"""

from typing import Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from tf_pixelcnn.data.image_preprocessing import quantize


def levels_to_png_values(levels, num_levels: int) -> np.ndarray:
    """Integer levels in [0, L) -> `uint8` values round(ℓ·255/(L−1))."""
    levels = np.asarray(levels, np.float64)
    return np.round(levels * 255.0 / (num_levels - 1)).astype(np.uint8)


def read_png_levels(
    path: str, image_shape: Sequence[int], num_levels: int, allow_lossy: bool = False
) -> Tuple[np.ndarray, Optional[str]]:
    """`(levels int32 [H, W, C], warning or None)` of a PNG for a model's image shape.

    A fully opaque alpha channel is dropped; a grayscale model takes an RGB PNG whose
    channels are equal. Anything else that would change the image raises.

    Raises:
        ValueError: another size or channel count, transparency, or more values than
            `num_levels` without `allow_lossy` (the message says what was found).
    """
    pixels = tf.io.decode_png(tf.io.read_file(path)).numpy()  # uint8 (16-bit: scaled)
    height, width, channels = (int(d) for d in image_shape)
    if pixels.shape[-1] in (2, 4):  # alpha
        if not (pixels[..., -1] == 255).all():
            raise ValueError(f"{path}: has transparent pixels; the model has no alpha.")
        pixels = pixels[..., :-1]
    if pixels.shape[:2] != (height, width):
        raise ValueError(
            f"{path}: is {pixels.shape[0]}x{pixels.shape[1]}; the model codes "
            f"{height}x{width} images (crop or resize it first: that is not lossless)."
        )
    if pixels.shape[-1] != channels:
        equal = pixels.shape[-1] == 3 and (pixels == pixels[..., :1]).all()
        if not (channels == 1 and equal):
            raise ValueError(
                f"{path}: has {pixels.shape[-1]} channels; the model codes {channels}."
            )
        pixels = pixels[..., :1]
    levels = quantize(pixels, num_levels).numpy()
    changed = int((levels_to_png_values(levels, num_levels) != pixels).sum())
    if not changed:
        return levels, None
    message = (
        f"{path}: {len(np.unique(pixels))} distinct values, more than the model's "
        f"{num_levels} levels: quantising changes {changed} of {pixels.size} values (lossy)"
    )
    if not allow_lossy:
        raise ValueError(message + "; pass --allow_lossy_quantization to accept that.")
    return levels, message + "."
