"""Sampling many images in batches, with a progress line."""

from typing import Callable, Optional

import numpy as np

from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.sampling.sample import sample
from tf_pixelcnn.utils.progress_line import ProgressLine

# draw(seeds int32 [B, 2], condition [B, ...] or None) -> images [B, H, W, C]
Draw = Callable[[np.ndarray, Optional[np.ndarray]], np.ndarray]


def model_draw(
    model,
    temperature: float = 1.0,
    method: str = "auto",
    jit_compile: Optional[bool] = None,
    log_scale_reduction: float = 0.0,
    mixture_mode: str = "sample",
) -> Draw:
    """`draw` for an in-process model, through `tpc.sample` (its options; `jit_compile`
    None: XLA with the non-XLA fallback, False: the bit-exact reference)."""

    def draw(seeds, condition):
        return sample(
            model,
            condition=condition,
            seed=seeds,
            method=method,
            temperature=temperature,
            jit_compile=jit_compile,
            log_scale_reduction=log_scale_reduction,
            mixture_mode=mixture_mode,
        ).numpy()

    return draw


def sample_in_batches(
    draw: Draw,
    seeds: np.ndarray,
    condition: Optional[np.ndarray] = None,
    batch_size: int = 16,
    progress: Optional[ProgressLine] = None,
) -> np.ndarray:
    """Draws one image per seed, `batch_size` at a time, and reports progress.

    Image i depends only on `seeds[i]` (and `condition[i]`), not on `batch_size`.

    Args:
        draw: `model_draw(model)`, or a SavedModel's sampler
            (`tf_pixelcnn.serving.saved_model_sampler`).
        seeds: `int32 [N, 2]`, e.g. `random_stream.per_image_seeds(seed, N)`.
        condition: one row per image, or None.
        batch_size: images per call of `draw`.
        progress: where to report; by default a `ProgressLine` on stdout.

    Returns:
        `[N, height, width, channels]` images.
    """
    seeds = np.asarray(seeds, np.int32)
    num_samples = len(seeds)
    progress = progress or ProgressLine(
        -(-num_samples // batch_size), items_per_step=batch_size, unit="batch"
    )
    chunks = []
    for step, start in enumerate(range(0, num_samples, batch_size), start=1):
        stop = min(start + batch_size, num_samples)
        chunk_condition = None if condition is None else np.asarray(condition)[start:stop]
        chunks.append(np.asarray(draw(seeds[start:stop], chunk_condition)))
        progress.update(step, images=stop)
    return np.concatenate(chunks, axis=0)


def split_seed(seed, num_samples: int) -> np.ndarray:
    """`int32 [num_samples, 2]`: the per-image seeds `tpc.sample` derives from `seed`."""
    return random_stream.per_image_seeds(seed, num_samples).numpy()
