"""The images of a sample grid: rows per class, free samples, or interpolations."""

from typing import Optional

import numpy as np

from tf_pixelcnn.sampling.interpolation import interpolation_grid
from tf_pixelcnn.sampling.sample_in_batches import Draw
from tf_pixelcnn.sampling.sample_in_batches import sample_in_batches
from tf_pixelcnn.sampling.sample_in_batches import split_seed


def sample_grid(
    draw: Draw,
    rows: int,
    per_row: int,
    num_classes: Optional[int] = None,
    condition_dim: Optional[int] = None,
    endpoints: Optional[np.ndarray] = None,
    seed: int = 0,
    batch_size: int = 16,
) -> np.ndarray:
    """Draws `rows × per_row` images laid out row by row.

    - Class-conditional models: row r holds class r (rows are capped at `num_classes`).
    - With `endpoints` (`[2, D]`, vector-conditioned models): row r interpolates from
      `endpoints[0]` to `endpoints[1]` in `per_row` steps with one seed (paper Fig. 5).
    - Unconditional models: `rows × per_row` independent samples.

    Returns:
        `[rows' · per_row, H, W, C]` images (rows' ≤ rows for class-conditional models).
    """
    if endpoints is not None:
        endpoints = np.asarray(endpoints, np.float32)
        if condition_dim is None or endpoints.shape != (2, condition_dim):
            raise ValueError(
                f"Interpolation needs a vector-conditioned model and endpoints [2, condition_dim]. "
                f"Received: condition_dim={condition_dim}, endpoints shape={endpoints.shape}."
            )
        conditions, seeds = interpolation_grid(endpoints[0], endpoints[1], per_row, rows, (seed, 0))
        return sample_in_batches(draw, seeds, conditions, batch_size)
    if condition_dim is not None:
        raise ValueError(
            f"A vector-conditioned model (condition_dim={condition_dim}) needs conditions: pass "
            "two endpoint vectors to interpolate between."
        )
    condition = None
    if num_classes is not None:
        rows = min(rows, num_classes)
        condition = np.repeat(np.arange(rows, dtype=np.int32), per_row)
    return sample_in_batches(draw, split_seed((seed, 0), rows * per_row), condition, batch_size)
