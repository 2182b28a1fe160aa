"""A picture of completions: original | masked | completions, one row per image."""

import numpy as np

from tf_pixelcnn.sampling.complete import known_pixel_counts
from tf_pixelcnn.utils.image_grid import image_grid


def completion_grid(
    originals, completions, known_mask, num_levels: int, zoom: int = 1, padding: int = 1
) -> np.ndarray:
    """Tiles originals, their masked versions and completions into one PNG-able picture.

    Args:
        originals: integer `[N, H, W, C]`.
        completions: integer `[N, S, H, W, C]` (S completions per image) or `[N, H, W, C]`.
        known_mask: as `tpc.complete` (known rows, or a bool `[N, H, W]` prefix mask).
        num_levels: values per sub-pixel.
        zoom, padding: as `tf_pixelcnn.utils.image_grid.image_grid`.

    Returns:
        `uint8 [rows, columns, C]` for `image_grid.write_png`: row n is original n, then
        the original with its unknown pixels grey, then its S completions.

    Example:
        >>> grid = completion_grid(images, np.stack([c1, c2], axis=1), 4, num_levels=16)
    """
    originals = np.asarray(originals)
    completions = np.asarray(completions)
    if completions.ndim == originals.ndim:
        completions = completions[:, None]
    if completions.shape[0] != originals.shape[0] or completions.shape[2:] != originals.shape[1:]:
        raise ValueError(
            "completions must be [N, S, H, W, C] (or [N, H, W, C]) for originals [N, H, W, C]. "
            f"Received: originals shape={originals.shape}, completions shape={completions.shape}."
        )
    count, height, width, _ = originals.shape
    known = known_pixel_counts(known_mask, count, height, width)
    position = np.arange(height * width).reshape(height, width)
    unknown = position[None] >= known[:, None, None]  # (N, H, W)
    masked = np.where(unknown[..., None], (num_levels - 1) // 2, originals)  # mid-grey
    tiles = np.concatenate([originals[:, None], masked[:, None], completions], axis=1)
    columns = tiles.shape[1]
    return image_grid(
        tiles.reshape(-1, *originals.shape[1:]), num_levels, columns, zoom=zoom, padding=padding
    )
