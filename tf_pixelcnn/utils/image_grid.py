"""PNG grids of integer images."""

import os

import numpy as np
import tensorflow as tf


def image_grid(
    images, num_levels: int, columns: int, zoom: int = 1, padding: int = 1
) -> np.ndarray:
    """Tiles integer images into one `uint8 [rows·h', columns·w', C]` picture.

    Args:
        images: integer `[N, H, W, C]` in `[0, num_levels)`, C = 1 or 3.
        num_levels: Values per sub-pixel; level L − 1 maps to 255.
        columns: Images per row; rows are filled in order.
        zoom: Nearest-neighbour magnification (small images such as 8×8 digits need it).
        padding: Pixels of white between images.

    Example:
        >>> image_grid(np.zeros([6, 8, 8, 1], np.int32), 17, columns=3, zoom=2).shape
        (35, 52, 1)
    """
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(f"images must be [N, H, W, 1 or 3]. Received: shape={images.shape}.")
    pixels = np.round(images.astype(np.float64) * 255.0 / (num_levels - 1)).astype(np.uint8)
    pixels = pixels.repeat(zoom, axis=1).repeat(zoom, axis=2)
    count, height, width, channels = pixels.shape
    rows = -(-count // columns)
    grid = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels),
        255,
        np.uint8,
    )
    for index, image in enumerate(pixels):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def write_png(path: str, picture: np.ndarray) -> str:
    """Writes `uint8 [H, W, C]` as a PNG (any path `tf.io.gfile` can write) and returns it."""
    directory = os.path.dirname(path)
    if directory:
        tf.io.gfile.makedirs(directory)
    tf.io.write_file(path, tf.io.encode_png(picture))
    return path
