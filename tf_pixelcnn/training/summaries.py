"""TensorBoard summaries of a training run beyond its scalars (all under `workdir/eval/`):

- `samples` (or `reconstructions` for auto-encoders): the PNG grid of `samples/`;
- `samples/auxiliary`: each sample beside its auxiliary image x̂ (Grayscale and Pyramid
  PixelCNN: the 4-bit grayscale or the half-resolution image);
- `bits_per_dim_map` (`validation/bits_per_dim_map`): where the bits go, per pixel;
- `config` and `results` (text), the hparams plugin's session (the config's fields) and
  its metric `final/test_bits_per_dim`.

The model says what it can show (`auxiliary_picture`, `log_prob_map`): nothing here
asks which kind of model it is.
"""

import contextlib
import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf
from tensorboard.plugins.hparams import api as hparams_api

from tf_pixelcnn.training.distributed_steps import batch_condition
from tf_pixelcnn.training.run_outputs import SamplePicture, picture_grid
from tf_pixelcnn.utils.float32_copy import float32_copy

AUXILIARY_TAG = "samples/auxiliary"
BITS_MAP_TAG = "bits_per_dim_map"
FINAL_METRIC_TAG = "final/test_bits_per_dim"

_DESCRIPTIONS = {
    "samples": (
        "Samples drawn at this step with seed (config seed, step); class-conditional "
        "models: one row per class (up to 10). The same picture as samples/step_<step>.png."
    ),
    "reconstructions": (
        "Top row: the first test images; bottom row: their reconstructions "
        "decode(encode(x)), sampled with seed (config seed, step). The same picture as "
        "samples/step_<step>.png."
    ),
}


def write_sample_images(
    writer, step: int, model, picture: SamplePicture, grid: np.ndarray, num_levels: int
) -> None:
    """The sample grid `grid` (`uint8 [h, w, C]`, as written to `samples/`) as image
    `picture.kind`, and, for models with an auxiliary variable, each image of `picture`
    beside its x̂ as `samples/auxiliary`."""
    with writer.as_default(step=step):
        tf.summary.image(
            picture.kind, grid[None], max_outputs=1, description=_DESCRIPTIONS.get(picture.kind)
        )
        auxiliary = model.auxiliary_picture(picture.images)  # int [N, H, W, C] or None
        if auxiliary is not None:
            pairs = np.stack([np.asarray(auxiliary), np.asarray(picture.images)], axis=1)
            pairs = pairs.reshape(-1, *pairs.shape[2:])  # (2N, H, W, C): x̂, x, x̂, x, ...
            tf.summary.image(
                AUXILIARY_TAG,
                picture_grid(pairs, 2 * picture.columns, num_levels)[None],
                max_outputs=1,
                description=(
                    "Each sample (right) beside its auxiliary image x̂ (left), which the "
                    "model samples first: the grayscale levels (Grayscale PixelCNN) or the "
                    "half-resolution image (Pyramid PixelCNN), enlarged to the sample's size "
                    "and levels (model.auxiliary_picture)."
                ),
            )


def bits_per_dim_map(model, batch: Mapping[str, tf.Tensor]) -> np.ndarray:
    """Bits/dim of every pixel, `float64 [H, W]`: −log2 p(pixel | what comes before it) / C
    (`model.log_prob_map`), averaged over the images of `batch` (by its `"weight"`, if
    any). Its mean over the pixels is the batch's bits/dim.

    Args:
        model: Any model of this package; a mixed-precision one is evaluated in float32
            (`float32_copy`), as evaluation does.
        batch: `{"image": int [B, H, W, C], "label"?, "condition"?, "weight"?}`.
    """
    model = float32_copy(model)
    images = batch["image"]
    condition = batch_condition(model, batch)
    if condition is None:
        log_p = model.log_prob_map(images)
    else:
        log_p = model.log_prob_map(images, condition=condition)
    channels = int(images.shape[-1])
    bits = -np.asarray(log_p, np.float64) / (channels * math.log(2.0))  # (B, H, W)
    weight = np.asarray(batch.get("weight", np.ones(len(bits))), np.float64)
    if weight.sum() <= 0:
        raise ValueError(f"The batch has no images of positive weight. Received: weight={weight}.")
    return np.tensordot(weight, bits, axes=1) / weight.sum()


def heat_map(values: np.ndarray, maximum: float) -> np.ndarray:
    """`uint8 [H, W, 3]` of `values` `[H, W]` on the "hot" scale from 0 (black) through
    red and yellow to `maximum` and above (white). Invertible below `maximum`:
    value = maximum · (R + G + B) / (3 · 255)."""
    scaled = np.clip(np.asarray(values, np.float64) / maximum, 0.0, 1.0)
    channels = [np.clip(3.0 * scaled - k, 0.0, 1.0) for k in range(3)]  # R, G, B
    return np.round(np.stack(channels, axis=-1) * 255.0).astype(np.uint8)


def write_bits_per_dim_map(
    writer,
    step: int,
    model,
    batch: Mapping[str, tf.Tensor],
    num_levels: int,
    tag: str = BITS_MAP_TAG,
    average=None,
) -> np.ndarray:
    """Writes `bits_per_dim_map(model, batch)` as a heat-map image `[1, H, W, 3]` under
    `tag` and returns the map `[H, W]`. The scale is fixed, so steps compare: black is 0
    bits, white log2(num_levels) (the uniform distribution's bits/dim) or more.

    Args:
        average: A `WeightAverage` to swap in (as evaluation does), or None.
    """
    swapped = average.swapped_in() if average is not None else contextlib.nullcontext()
    with swapped:
        values = bits_per_dim_map(model, batch)
    maximum = math.log2(num_levels)
    count = int(np.sum(np.asarray(batch.get("weight", np.ones(len(batch["image"])))) > 0))
    with writer.as_default(step=step):
        tf.summary.image(
            tag,
            heat_map(values, maximum)[None],
            max_outputs=1,
            description=(
                f"Bits/dim of every pixel, −log2 p(pixel | pixels before it) / channels, "
                f"averaged over the first {count} images of the split. Fixed 'hot' scale: "
                f"black = 0 bits, red, yellow, white = log2({num_levels}) = {maximum:.3f} "
                "bits (the uniform distribution's) or more; value = "
                f"{maximum:.3f} · (R + G + B) / 765. The map's mean is the batch's bits/dim."
            ),
        )
    return values


def flat_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"model.num_layers": 15, ...}`: the nested config's leaves as hparams values (bool,
    int, float or str; sequences as JSON text; None left out)."""
    flat = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flat_config(value, f"{name}."))
        elif isinstance(value, (bool, int, float, str)):
            flat[name] = value
        elif value is not None:
            flat[name] = json.dumps(value)
    return flat


def write_run_summary(
    writer, step: int, config: Mapping[str, Any], results: Mapping[str, Any], workdir: str
) -> None:
    """The config and results as text (`config`, `results`: JSON), the hparams plugin's
    session of the run (every config field, trial id: the workdir's name) and its metric,
    the scalar `final/test_bits_per_dim` (`results["test_bits_per_dim"]`) at `step`."""
    with writer.as_default(step=step):
        for name, value in (("config", config), ("results", results)):
            text = json.dumps(value, indent=2, sort_keys=True, default=str)
            tf.summary.text(name, "    " + text.replace("\n", "\n    "))  # a code block
        tf.summary.scalar(
            FINAL_METRIC_TAG,
            results["test_bits_per_dim"],
            description="Test bits/dim of the final (or selected best) model: the hparams metric.",
        )
        hparams_api.hparams(
            flat_config(config), trial_id=os.path.basename(os.path.normpath(workdir))
        )


def write_split_map(writer, step: int, run, split: str) -> np.ndarray:
    """`write_bits_per_dim_map` of a `TrainingRun`'s model (its weight average swapped
    in, if kept) on the first records of `split`, as many as one replica evaluates at a
    time; tag `bits_per_dim_map` for the test split, `<split>/bits_per_dim_map` else."""
    eval_batch = int(run.eval_config.get("global_batch_size") or run.global_batch_size)
    batch = run.local_batch(split, max(eval_batch // run.strategy.num_replicas_in_sync, 1))
    tag = BITS_MAP_TAG if split == "test" else f"{split}/{BITS_MAP_TAG}"
    return write_bits_per_dim_map(
        writer, step, run.model, batch, int(run.data_config["num_levels"]), tag, run.average
    )
