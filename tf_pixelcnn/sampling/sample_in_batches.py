"""Sampling many images in batches, with a progress line."""

from typing import Optional

import numpy as np

from tf_pixelcnn.sampling import random_stream
from tf_pixelcnn.sampling.sample import sample
from tf_pixelcnn.utils.progress_line import ProgressLine


def sample_in_batches(
    model,
    num_samples: int,
    condition=None,
    seed=(0, 0),
    batch_size: int = 16,
    temperature: float = 1.0,
    method: str = "auto",
    jit_compile: bool = False,
    progress: Optional[ProgressLine] = None,
) -> np.ndarray:
    """Draws `num_samples` images `batch_size` at a time and reports progress.

    Image i gets the i-th of the seeds split from `seed`, so the images do not depend on
    `batch_size`: `sample_in_batches(m, 64, batch_size=8)` equals
    `tpc.sample(m, seed=per_image_seeds(seed, 64))`.

    Args:
        model, condition, temperature, method, jit_compile: as for `tpc.sample`
            (`condition` has one row per image).
        num_samples: images to draw.
        seed: `[2]`, split into one seed per image.
        batch_size: images per call of the sampler.
        progress: where to report; by default a `ProgressLine` on stdout.

    Returns:
        `int32 [num_samples, height, width, channels]`.
    """
    seeds = random_stream.per_image_seeds(seed, num_samples).numpy()
    progress = progress or ProgressLine(-(-num_samples // batch_size), items_per_step=batch_size)
    chunks = []
    for step, start in enumerate(range(0, num_samples, batch_size), start=1):
        stop = min(start + batch_size, num_samples)
        chunk_condition = None if condition is None else np.asarray(condition)[start:stop]
        chunks.append(
            sample(
                model,
                condition=chunk_condition,
                seed=seeds[start:stop],
                method=method,
                temperature=temperature,
                jit_compile=jit_compile,
            ).numpy()
        )
        progress.update(step, images=float(stop))
    return np.concatenate(chunks, axis=0)
