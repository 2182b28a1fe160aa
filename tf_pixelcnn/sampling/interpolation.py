"""Conditions and seeds for interpolating between two condition vectors (paper Fig. 5)."""

from typing import Tuple

import numpy as np

from tf_pixelcnn.distributions import random_stream


def interpolation_grid(
    start, end, num_steps: int, num_rows: int, seed=(0, 0)
) -> Tuple[np.ndarray, np.ndarray]:
    """Linear interpolation from `start` to `end`, one seed per row.

    Row r of the grid holds `num_steps` images that share the r-th seed, with conditions
    `(1 − t) · start + t · end` for t = 0 … 1, so a row shows what the condition alone
    changes (van den Oord et al. 2016, §3.3 and Fig. 5).

    Args:
        start, end: condition vectors `[D]`.
        num_steps: images per row (≥ 2).
        num_rows: rows, each with its own seed.
        seed: `[2]`, split into one seed per row.

    Returns:
        `(conditions float32 [rows·steps, D], seeds int32 [rows·steps, 2])`, row-major.

    Example:
        >>> conditions, seeds = interpolation_grid([0.0, 0.0], [1.0, 2.0], 3, 2)
        >>> conditions[:3].tolist()
        [[0.0, 0.0], [0.5, 1.0], [1.0, 2.0]]
    """
    start, end = np.asarray(start, np.float32), np.asarray(end, np.float32)
    if start.shape != end.shape or start.ndim != 1:
        raise ValueError(
            f"start and end must be vectors of one size. Received: shapes {start.shape} and {end.shape}."
        )
    if num_steps < 2 or num_rows < 1:
        raise ValueError(
            f"Need num_steps >= 2 and num_rows >= 1. Received: num_steps={num_steps}, num_rows={num_rows}."
        )
    t = np.linspace(0.0, 1.0, num_steps, dtype=np.float32)[:, None]
    row = (1.0 - t) * start + t * end  # (steps, D)
    conditions = np.tile(row, (num_rows, 1))
    row_seeds = random_stream.per_image_seeds(seed, num_rows).numpy()
    seeds = np.repeat(row_seeds, num_steps, axis=0)
    return conditions, seeds
