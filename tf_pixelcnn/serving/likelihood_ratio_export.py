"""One SavedModel holding a model and its background model: the likelihood-ratio score.

| signature | inputs | outputs |
|---|---|---|
| `score` | `images` uint8 [B,H,W,C] (+ `labels` int32 [B] / `condition` float32 [B,D] / `condition_image`) | `score` float32 [B] = `log_prob` − `background_log_prob` (nats), `log_prob` [B], `background_log_prob` [B] |
| `log_prob` (= `serving_default`) | as the model's own export | `log_prob`, `bits_per_dim`, `pixel_log_prob` of the model |

A high score is in-distribution; an outlier has a low score (Ren et al. 2019: the
background model, trained on perturbed inputs, cancels population-level statistics that
dominate raw likelihoods). Bad requests fail with `InvalidArgument` as every other
signature (`tf_pixelcnn.serving.signatures`): a batch above `max_batch`, inputs whose
batch sizes differ, image values ≥ `num_levels`, labels outside `[0, num_classes)`.
"""

import json
from typing import Any, Dict, Mapping, Optional

import tensorflow as tf

from tf_pixelcnn.models.autoregressive_image_model import AutoregressiveImageModel
from tf_pixelcnn.utils.float32_copy import float32_copy
from tf_pixelcnn.serving import signatures, versioned_directory
from tf_pixelcnn.serving.export_saved_model import METADATA_FILE, model_metadata, write_archive

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


def score_endpoints(model, background, max_batch: Optional[int]) -> Dict[str, signatures.Endpoint]:
    """`log_prob` (the model's, first: it becomes `serving_default`) and `score`."""
    check_background(model, background)
    images_spec = tf.TensorSpec([None, *model.image_shape], tf.uint8, name="images")
    extra = signatures.condition_spec(model)
    extra_specs = [] if extra is None else [extra]

    def score(images, condition=None):
        named = {"images": images}
        if extra is not None:
            named[extra.name] = condition
        inputs = signatures.checked_batch(named, max_batch)
        if extra is not None:
            condition = inputs[extra.name]
            if extra.name == "condition_image":
                condition = tf.cast(condition, tf.int32)
        images = inputs["images"]
        log_prob = signatures.log_prob_outputs(model, images, condition)["log_prob"]
        background_log_prob = signatures.log_prob_outputs(background, images, condition)
        background_log_prob = background_log_prob["log_prob"]
        return {
            "score": log_prob - background_log_prob,
            "log_prob": log_prob,
            "background_log_prob": background_log_prob,
        }

    return {
        "log_prob": signatures.density_endpoints(model, max_batch)["log_prob"],
        SCORE_SIGNATURE: (score, [images_spec, *extra_specs]),
    }


def export_likelihood_ratio(
    model,
    background,
    export_base: str,
    version: Optional[int] = None,
    max_batch: Optional[int] = None,
    overwrite: bool = False,
    metadata: Optional[Mapping[str, Any]] = None,
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
        version: A positive integer; by default one more than the newest version.
        max_batch: Requests with a larger batch fail with `InvalidArgument`.
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
    version = versioned_directory.resolve_version(export_base, version)
    description = model_metadata(model, ["serving_default", *endpoints], max_batch)
    description["background_config"] = background.get_config()
    description["likelihood_ratio"] = dict(metadata or {})

    def write(directory: str) -> None:
        write_archive(directory, [model, background], endpoints, description)

    return versioned_directory.write_version_atomically(export_base, version, write, overwrite)


def read_export_metadata(version_path: str) -> Optional[Dict[str, Any]]:
    """`assets.extra/tf_pixelcnn.json` of an exported version, or None."""
    path = f"{version_path}/assets.extra/{METADATA_FILE}"
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as f:
        return json.load(f)
