"""PNG files as a model's integer levels and back (the binaries' image input and output)."""

from typing import Sequence, Tuple

import numpy as np
import tensorflow as tf

from tf_pixelcnn.data.image_preprocessing import quantize


def to_png_values(levels: np.ndarray, num_levels: int) -> np.ndarray:
    """Levels `[0, L)` -> uint8 PNG values `round(ℓ·255/(L−1))` (as `image_grid` writes)."""
    return np.round(np.asarray(levels, np.float64) * 255.0 / (num_levels - 1)).astype(np.uint8)


def read_png_levels(
    path: str, image_shape: Sequence[int], num_levels: int
) -> Tuple[np.ndarray, int]:
    """`(int32 [H, W, C] levels, number of values the quantisation changed)` of a PNG.

    The values are quantised as the training data are (`image_preprocessing.quantize`);
    a PNG written from levels (`to_png_values`) comes back unchanged (0 changed values).
    An opaque alpha channel is dropped; a gray RGB PNG feeds a one-channel model.

    Raises:
        ValueError: transparency, or a size or channel count other than the model's,
            naming the file and what was expected.
    """
    pixels = tf.io.decode_png(tf.io.read_file(path)).numpy()  # uint8 (16-bit: scaled)
    height, width, channels = image_shape
    if pixels.shape[-1] in (2, 4):  # alpha
        if not (pixels[..., -1] == 255).all():
            raise ValueError(f"{path}: has transparent pixels; the model has no alpha.")
        pixels = pixels[..., :-1]
    if pixels.shape[:2] != (height, width):
        raise ValueError(
            f"{path}: is {pixels.shape[0]}x{pixels.shape[1]}; the model takes "
            f"{height}x{width} images (crop or resize it first)."
        )
    if pixels.shape[-1] != channels:
        gray = pixels.shape[-1] == 3 and (pixels == pixels[..., :1]).all()
        if not (channels == 1 and gray):
            raise ValueError(
                f"{path}: has {pixels.shape[-1]} channels; the model takes {channels}."
            )
        pixels = pixels[..., :1]
    levels = quantize(pixels, num_levels).numpy()
    changed = int((to_png_values(levels, num_levels) != pixels).sum())
    return levels, changed
