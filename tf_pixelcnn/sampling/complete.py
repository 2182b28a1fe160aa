"""`tpc.complete`: sample the rest of an image given its first pixels (image completion).

The known part must be a prefix in the model's raster order (its first rows, or its
first pixels: a prefix mask). The cached sampler runs over the whole image; at a known
pixel its hook returns the given value (teacher forcing), at an unknown one it draws
from the model's conditional with the image's random stream. So the known pixels come
back unchanged, the others follow p(unknown | known) exactly, nothing known gives
`tpc.sample`'s image for the same seed and everything known gives the input.

References:
    van den Oord et al. 2016, "Pixel Recurrent Neural Networks", Fig. 1 (occluded
    completions); "Conditional Image Generation with PixelCNN Decoders", §2.
"""

import numpy as np
import tensorflow as tf

from tf_pixelcnn.distributions import random_stream
from tf_pixelcnn.sampling import compiled
from tf_pixelcnn.sampling.cached import cached_sample
from tf_pixelcnn.sampling.two_stack_model import TwoStackModel, supports_cached_sampling
from tf_pixelcnn.sampling.value_choice import RandomDraw, TeacherForced
from tf_pixelcnn.utils.float32_copy import float32_copy


def known_pixel_counts(known_mask, batch: int, height: int, width: int) -> np.ndarray:
    """`int32 [batch]`: how many pixels of each image are known, in raster order.

    Args:
        known_mask: an int (known rows of every image), int `[batch]` (known rows per
            image), or bool `[batch, height, width]` (True = known), which must be a
            prefix in raster order (rows above fully known, then the start of one row).
    """
    mask = np.asarray(known_mask)
    if mask.dtype == bool:
        if mask.shape != (batch, height, width):
            raise ValueError(
                f"A known-pixel mask must be bool [batch, height, width] = [{batch}, {height}, "
                f"{width}]. Received: shape={mask.shape}."
            )
        flat = mask.reshape(batch, height * width)
        counts = flat.sum(axis=1)
        prefix = np.arange(height * width)[None, :] < counts[:, None]
        bad = np.flatnonzero((flat != prefix).any(axis=1))
        if bad.size:
            b = int(bad[0])
            unknown = int(np.argmin(flat[b])) if not flat[b].all() else height * width
            known_after = np.flatnonzero(flat[b, unknown:])
            first = unknown + int(known_after[0])
            raise ValueError(
                "The known pixels must be a prefix in raster order (whole rows from the top, "
                f"then the first pixels of one row). Received: image {b} has pixel "
                f"(row {unknown // width}, column {unknown % width}) unknown but pixel "
                f"(row {first // width}, column {first % width}) known."
            )
        return counts.astype(np.int32)
    if not np.issubdtype(mask.dtype, np.integer) or mask.ndim > 1:
        raise ValueError(
            "known_mask must be a number of known rows (int, or int [batch]) or a bool "
            f"[batch, height, width] prefix mask. Received: dtype={mask.dtype}, "
            f"shape={mask.shape}."
        )
    rows = np.broadcast_to(mask, (batch,))
    if rows.min() < 0 or rows.max() > height:
        raise ValueError(
            f"Known rows must be in [0, height={height}]. Received: {rows.tolist()}."
        )
    return (rows * width).astype(np.int32)


def complete_images(model: TwoStackModel, images, known_pixels, uniform, condition=None,
                    temperature=1.0) -> tf.Tensor:  # fmt: skip
    """Graph-friendly completion (the SavedModel signature calls it).

    Args:
        model: a `GatedPixelCNN` (softmax or logistic mixture).
        images: integer `[B, H, W, C]`; only the known pixels are read.
        known_pixels: int `[B]`, known pixels of each image in raster order.
        uniform: the images' random stream, as `cached_sample` takes it.
        condition, temperature: as `cached_sample` (temperature: softmax outputs).

    Returns:
        `int32 [B, H, W, C]`.
    """
    width = model.image_shape[1]
    images = tf.cast(images, tf.int32)
    known_pixels = tf.cast(known_pixels, tf.int32)
    choice = TeacherForced(
        images,
        known=lambda row, column: row * width + column < known_pixels,  # (B,)
        otherwise=RandomDraw(temperature),
    )
    return cached_sample(model, uniform, condition, **choice.hooks(model.pixel_distribution))


def complete(model, images, known_mask, seed=(0, 0), condition=None, temperature=1.0,
             jit_compile=None) -> tf.Tensor:  # fmt: skip
    """Samples the unknown part of images given their known prefix.

    Args:
        model: a `GatedPixelCNN` (softmax or logistic mixture, any conditioning; for a
            `PixelCNNAutoencoder` use `ae.decoder` with `condition=ae.encode(images)`).
        images: integer `[batch, H, W, C]` in `[0, num_levels)`; the unknown pixels are
            ignored.
        known_mask: known rows (int, or int `[batch]`), or a bool `[batch, H, W]` mask
            that is a prefix in raster order (True = known).
        seed: `[2]` or `[batch, 2]`, as `tpc.sample`: the same seed draws the same
            unknown pixels, and with nothing known gives `tpc.sample`'s image.
        condition: labels or vectors of a conditional model.
        temperature: softmax outputs only, as `tpc.sample`.
        jit_compile: as `tpc.sample`: None (default) XLA, falling back to the non-XLA
            graph where XLA cannot compile the model; False the non-XLA graph (the
            bit-exact reference the SavedModel's `complete` signature matches); True XLA.

    A mixed-precision model completes with its float32 copy, as `tpc.sample` samples.

    Returns:
        `int32 [batch, H, W, C]`: the known pixels unchanged, the others drawn from
        p(unknown | known, condition).

    Example:
        >>> model = tpc.GatedPixelCNN((8, 8, 1), num_layers=2, filters=8, kernel_size=3,
        ...                           num_levels=4)
        >>> images = tf.zeros([2, 8, 8, 1], tf.int32)
        >>> tpc.complete(model, images, known_mask=4, seed=(1, 2)).shape
        TensorShape([2, 8, 8, 1])
    """
    if not supports_cached_sampling(model):
        raise ValueError(
            "complete needs a GatedPixelCNN (the cached sampler; for a PixelCNNAutoencoder "
            f"pass ae.decoder with condition=ae.encode(images)). Received: "
            f"{type(model).__name__}."
        )
    images = model.check_images(images)
    batch = int(images.shape[0])
    height, width, _ = model.image_shape
    known_pixels = known_pixel_counts(known_mask, batch, height, width)
    distribution = model.pixel_distribution
    distribution.check_draw_options(temperature)  # temperature: softmax outputs only
    model.checked_condition(condition)  # a missing or unexpected condition fails clearly
    model = float32_copy(model)  # as `tpc.sample`: the model itself if it is float32
    seeds = random_stream.per_image_seeds(seed, batch)
    uniform = random_stream.traced_uniform_noise(seeds, distribution.stream_shape(height, width))
    args = (images, tf.constant(known_pixels), uniform, condition,
            tf.constant(temperature, tf.float32))  # fmt: skip
    return compiled.with_jit_choice(
        model, ("complete",), "cached", jit_compile,
        lambda jit: _compiled_completion(model, jit)(*args),
    )  # fmt: skip


def _compiled_completion(model, jit_compile: bool):
    """`complete_images` of `model` as a `SamplerFunction` (`compiled`, key "complete")."""
    return compiled.sampler_function(
        model, ("complete",), complete_images, jit_compile, reduce_retracing=True
    )
