"""One SavedModel holding a model and its background model: the likelihood-ratio score.

| signature | inputs | outputs |
|---|---|---|
| `score` | `images` uint8 [B,H,W,C] (+ `labels` int32 [B] / `condition` float32 [B,D] / `condition_image`) | `score` float32 [B] = `log_prob` − `background_log_prob` (nats), `log_prob` [B], `background_log_prob` [B] |
| `log_prob` (= `serving_default`) | as the model's own export | `log_prob`, `bits_per_dim`, `pixel_log_prob` of the model |

A high score is in-distribution; an outlier has a low score (Ren et al. 2019: the
background model, trained on perturbed inputs, cancels population-level statistics that
dominate raw likelihoods). Requests are checked as in every other signature
(`tf_pixelcnn.serving.signatures`): a wrong rank or size, a batch above `max_batch`,
inputs whose batch sizes differ, a NaN or infinite `condition`, image values ≥
`num_levels` or labels outside `[0, num_classes)` fail with `InvalidArgument` naming the
input; batch 0 gives empty outputs.
"""

import json
from collections.abc import Mapping
from typing import Any

import tensorflow as tf

from tf_pixelcnn.models.autoregressive_image_model import AutoregressiveImageModel
from tf_pixelcnn.serving import signatures, versioned_directory
from tf_pixelcnn.serving.export_saved_model import (
    DEFAULT_MAX_BATCH,
    METADATA_FILE,
    model_metadata,
    write_archive,
)
from tf_pixelcnn.utils.float32_copy import float32_copy

SCORE_SIGNATURE = "score"


def check_background(model, background) -> None:
    """Raises ValueError unless `background` scores the same inputs as `model`: both
    `GatedPixelCNN` / `PixelCNN` with one image shape, level count and conditioning."""
    for name, candidate in (("model", model), ("background", background)):
        if not isinstance(candidate, AutoregressiveImageModel):
            raise ValueError(
                f"The likelihood-ratio export takes a GatedPixelCNN or PixelCNN as {name}. "
                f"Received: {type(candidate).__name__}."
            )
    for attribute in ("image_shape", "num_levels", "num_classes", "condition_dim",
                      "condition_image_shape"):  # fmt: skip
        ours, theirs = getattr(model, attribute, None), getattr(background, attribute, None)
        if ours != theirs:
            raise ValueError(
                f"The background model must take the model's inputs: model {attribute}="
                f"{ours}, received background {attribute}={theirs}."
            )


def score_endpoints(model, background, max_batch: int | None) -> dict[str, signatures.Endpoint]:
    """`log_prob` (the model's, first: it becomes `serving_default`) and `score`, both
    behind the request checks of `signatures.served_endpoint`."""
    check_background(model, background)
    extra = signatures.condition_spec(model)
    extra_specs = [] if extra is None else [extra]

    def score(inputs):
        condition = signatures.condition_input(extra, inputs)
        log_prob = signatures.log_prob_outputs(model, inputs["images"], condition)["log_prob"]
        background_log_prob = signatures.log_prob_outputs(background, inputs["images"], condition)
        background_log_prob = background_log_prob["log_prob"]
        return {
            "score": log_prob - background_log_prob,
            "log_prob": log_prob,
            "background_log_prob": background_log_prob,
        }

    images_spec = signatures.image_spec(model.image_shape)
    return {
        "log_prob": signatures.density_endpoints(model, max_batch)["log_prob"],
        SCORE_SIGNATURE: signatures.served_endpoint(score, [images_spec, *extra_specs], max_batch),
    }


def export_likelihood_ratio(
    model,
    background,
    export_base: str,
    version: int | None = None,
    max_batch: int | None = DEFAULT_MAX_BATCH,
    overwrite: bool = False,
    metadata: Mapping[str, Any] | None = None,
) -> str:
    """Writes `model` and `background` as one SavedModel `export_base/<version>/` with a
    `score` signature (log p_model(x) − log p_background(x)) and `log_prob`.

    Both are exported as their float32 copies (same weights) and tracked by one
    `keras.export.ExportArchive`, so the session-based loaders of TF Serving find every
    variable. `assets.extra/tf_pixelcnn.json` holds the model's metadata (as
    `export_saved_model` writes it), the background's Keras config and `metadata`
    under "likelihood_ratio" (e.g. the perturbation rate and the checkpoints).

    Args:
        model: The in-distribution `GatedPixelCNN` / `PixelCNN`.
        background: The same kind of model trained on perturbed inputs
            (`make_dataset(..., perturbation_rate=μ)`), taking the same inputs.
        export_base: The directory TF Serving's `--model_base_path` points at.
        version: A positive integer; by default the next free version when published.
        max_batch: Requests with a larger batch fail with `InvalidArgument` (default 64;
            None: no limit).
        overwrite: Replace an existing `version` (otherwise that is an error).
        metadata: JSON-serialisable facts stored with the version.

    Returns:
        The path of the new version; it appears atomically
        (`versioned_directory.write_version_atomically`).

    Example:
        >>> path = export_likelihood_ratio(model, background, "/tmp/models/digits_score")

    References:
        Ren et al., "Likelihood Ratios for Out-of-Distribution Detection", NeurIPS 2019,
        eq. 5 (LLR(x) = log p_θ(x) − log p_θ0(x)).
    """
    model, background = float32_copy(model), float32_copy(background)
    endpoints = score_endpoints(model, background, max_batch)
    description = model_metadata(model, ["serving_default", *endpoints], max_batch)
    description["background_config"] = background.get_config()
    description["likelihood_ratio"] = dict(metadata or {})

    def write(directory: str) -> None:
        write_archive(directory, [model, background], endpoints, description)

    return versioned_directory.write_version_atomically(export_base, version, write, overwrite)


def read_export_metadata(version_path: str) -> dict[str, Any] | None:
    """`assets.extra/tf_pixelcnn.json` of an exported version, or None."""
    path = f"{version_path}/assets.extra/{METADATA_FILE}"
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)
